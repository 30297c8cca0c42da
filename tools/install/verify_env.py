# Copyright (c) samix_mm contributors. All rights reserved.
"""Check that the installed stack works; exit 1 with a clear message if not.

Run by ``make venv`` at the end of the setup.
"""
import sys


def main() -> int:
    """Import the stack and run one compiled mmcv op on the CPU."""
    try:
        import torch
        from mmcv.ops import nms
        boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.],
                              [20., 20., 30., 30.]])
        scores = torch.tensor([0.9, 0.8, 0.7])
        _, keep = nms(boxes, scores, iou_threshold=0.5)
        assert keep.tolist() == [0, 2], f'mmcv.ops.nms returned {keep}'
        import mmdet
        import mmpretrain

        import samix_mm
        from samix_mm.utils import register_all_modules
        register_all_modules()
    except Exception as exc:  # noqa: BLE001 - report anything as one line
        print(f'[samix_mm setup] FAILED: {type(exc).__name__}: {exc} '
              '-- delete the venv and run `make venv` again; if mmcv is at '
              'fault, also delete its cached wheel (SAMIX_MM_CACHE).')
        return 1
    print(f'[samix_mm setup] OK: torch {torch.__version__}, mmcv ops work, '
          f'mmpretrain {mmpretrain.__version__}, mmdet {mmdet.__version__}, '
          f'samix_mm {samix_mm.__version__}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
