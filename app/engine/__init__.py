"""The Qt-free segmentation engine: image reading, test-time protocols, the
segmenter, output writers and batch runs. The CLI, the GUI and the Ray workers
all go through it."""
