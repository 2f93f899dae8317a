"""tinyedge: train small image classifiers at many widths, deploy them as int8 models on
Cortex-M boards, and measure how deployment changes which inputs they get wrong."""

__version__ = "0.1.0"
