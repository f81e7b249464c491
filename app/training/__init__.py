"""Training: the generated scenes, datasets, the training loop and its model card.

Qt-free, like the rest of the core.
"""
