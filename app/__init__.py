"""PSPNet Studio: look inside a scene-parsing network.

The packages below ``app`` split into a Qt-free core (``model``, ``checkpoints``,
``classes``, ``engine``, ``training``) and the desktop layer (``gui``). Nothing in
the core may import Qt; ``tests/unit/test_layering.py`` enforces it.
"""

__version__ = "0.1.0"
