"""The project's 维权信息告示牌 (Art. 34 notice board): fields, checks, the worker's view."""
