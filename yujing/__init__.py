"""yujing (预警): real-time complaint-risk early warning for power-supply customer service."""

__version__ = "0.1.0"
