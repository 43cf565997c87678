"""Configuration of the detectors."""
from pydantic import BaseModel


class DetectorsConfig(BaseModel):
    """Detector settings."""
