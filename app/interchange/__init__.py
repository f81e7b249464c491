"""Exchanging label maps with annotation tools: export a run folder to CVAT, COCO,
labelme, YOLO-seg or VOC, and import those back into class-index PNGs. Qt-free."""
