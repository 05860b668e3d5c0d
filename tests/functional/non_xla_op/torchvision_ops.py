"""torchvision ops torch_xla runs on the CPU, in a model's forward, a training step and an inference
loop; torchvision look-alikes that run on XLA; the same outside the step."""
import torch
import torch_xla  # torchtpu: [torch-xla-api]
import torchvision
from torchvision import ops
from torchvision.ops import batched_nms, nms, roi_align
from torchvision.ops import boxes as box_ops

device = torch_xla.device()  # torchtpu: [torch-xla-api]
anchors = torch.rand(16, 4, device=device)
kept_once = nms(anchors, torch.rand(16, device=device), 0.5)  # set-up, once: not reported


class Detector(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.offsets = torch.nn.Conv2d(8, 18, 3, padding=1)
        self.weight = torch.nn.Parameter(torch.randn(8, 8, 3, 3))

    def forward(self, images, rois):
        features = self.backbone(images)
        pooled = roi_align(features, rois, (7, 7), spatial_scale=1.0, sampling_ratio=2)  # [cpu-fallback-op]
        maxed = ops.roi_pool(features, rois, (7, 7))  # [cpu-fallback-op]
        sensitive = torchvision.ops.ps_roi_align(features, rois, (2, 2))  # [cpu-fallback-op]
        sensitive_max = torchvision.ops.ps_roi_pool(features, rois, (2, 2))  # [cpu-fallback-op]
        deformed = ops.deform_conv2d(features, self.offsets(features), self.weight, padding=1)  # [cpu-fallback-op]
        dropped = ops.stochastic_depth(deformed, 0.1, "row", self.training)
        blocked = ops.drop_block2d(dropped, 0.1, 3, self.training)
        return pooled, maxed, sensitive, sensitive_max, blocked


model = Detector().to(device)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)


def train(loader):
    for images, rois, targets, masks, labels in loader:
        images, rois, targets = images.to(device), rois.to(device), targets.to(device)
        pooled, maxed, sensitive, sensitive_max, blocked = model(images, rois)
        boxes = pooled.flatten(1)[:, :4].sigmoid()
        giou = ops.generalized_box_iou_loss(boxes, targets)  # [cpu-fallback-op]
        diou = ops.distance_box_iou_loss(boxes, targets)  # [cpu-fallback-op]
        ciou = ops.complete_box_iou_loss(boxes, targets)  # [cpu-fallback-op]
        from_masks = ops.masks_to_boxes(masks.to(device))  # [cpu-fallback-op]
        focal = ops.sigmoid_focal_loss(maxed.mean((2, 3)), labels.to(device), reduction="mean")
        overlaps = ops.box_iou(boxes, targets) + ops.generalized_box_iou(boxes, targets)
        overlaps = overlaps + ops.distance_box_iou(boxes, targets) + ops.complete_box_iou(boxes, targets)
        shapes = ops.box_area(boxes).sum() + ops.box_convert(boxes, "xyxy", "cxcywh").sum()
        clipped = ops.clip_boxes_to_image(boxes, (224, 224))
        loss = (giou.sum() + diou.sum() + ciou.sum() + from_masks.sum() + focal + overlaps.sum() + shapes
                + clipped.sum() + sensitive.sum() + sensitive_max.sum() + blocked.sum())
        loss.backward()
        optimizer.step()
        torch_xla.sync()  # torchtpu: [torch-xla-api]


def detect(loader, threshold):
    model.eval()
    with torch.no_grad():
        for images, rois, scores, labels in loader:
            pooled, *_ = model(images.to(device), rois.to(device))
            boxes = pooled.flatten(1)[:, :4]
            scores, labels = scores.to(device), labels.to(device)
            keep = nms(boxes, scores, 0.5)  # [cpu-fallback-op]
            per_class = batched_nms(boxes, scores, labels, threshold)  # [cpu-fallback-op]
            qualified = torchvision.ops.nms(boxes, scores, threshold)  # [cpu-fallback-op]
            large = ops.remove_small_boxes(boxes, 1.0)  # [cpu-fallback-op]
            detectron_style = box_ops.batched_nms(boxes, scores, labels, 0.5)  # [cpu-fallback-op]
            yield keep, per_class, qualified, large, detectron_style
            torch_xla.sync()  # torchtpu: [torch-xla-api]


def after_training(boxes, scores):
    return nms(boxes.cpu(), scores.cpu(), 0.5)
