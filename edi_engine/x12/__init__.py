"""Bytes to segments and back: delimiters, the streaming tokenizer, envelopes, the writer.

Knows nothing of 835/837 meaning, money or the database.
"""

from edi_engine.x12.envelope import ENVELOPE_IDS, EnvelopeTracker
from edi_engine.x12.reader import SegmentStream, read_segments
from edi_engine.x12.segment import DEFAULT_DELIMITERS, Delimiters, Envelope, Segment
from edi_engine.x12.tokenizer import MAX_SEGMENT_BYTES, Tokenizer

__all__ = [
    "DEFAULT_DELIMITERS",
    "Delimiters",
    "ENVELOPE_IDS",
    "Envelope",
    "EnvelopeTracker",
    "MAX_SEGMENT_BYTES",
    "Segment",
    "SegmentStream",
    "Tokenizer",
    "read_segments",
]
