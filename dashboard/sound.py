"""The audible cue for a new red alert: a short two-tone beep made with the ``wave`` module (no asset file).

>>> wav = beep_wav()
>>> wav[:4], wav[8:12], len(wav) > 10_000
(b'RIFF', b'WAVE', True)
"""
from __future__ import annotations

import io
import math
import struct
import wave
from functools import lru_cache


@lru_cache(maxsize=4)
def beep_wav(tones: tuple[float, ...] = (880.0, 660.0), tone_s: float = 0.18, rate: int = 16_000,
             volume: float = 0.5) -> bytes:
    """Mono 16-bit WAV bytes: each tone in turn, with a 10 ms fade so it does not click."""
    fade = int(rate * 0.01)
    frames = bytearray()
    for freq in tones:
        n = int(rate * tone_s)
        for i in range(n):
            env = min(1.0, i / fade, (n - i) / fade)
            frames += struct.pack("<h", int(32767 * volume * env * math.sin(2 * math.pi * freq * i / rate)))
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(frames))
    return buf.getvalue()
