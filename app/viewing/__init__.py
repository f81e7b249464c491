"""The viewer's state and rules without Qt: what is shown, what is asked for, which classes
are hidden or highlighted, what carries over to the next image, and the arrays the view
draws (prepared in the worker thread). The widgets in app.gui observe these models.
"""
