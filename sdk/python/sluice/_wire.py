"""The operator protocol's byte format (Docs/operator-protocol.md, version 1): limits, message types,
a frame reader and the decoders and encoders the SDK needs. Nothing here calls user code.

Decoding works on one `bytes` object per frame: `struct.unpack_from` reads fields in place and keys and
values are sliced out of the frame once each, which is the one copy a user's `bytes` needs anyway.
"""

import struct

PROTOCOL_VERSION = 1
SUPPORTED_VERSIONS = (PROTOCOL_VERSION,)

# Limits. The frame limit is the protocol's; the others follow from the field widths.
FRAME_LENGTH_MAX = 64 * 1024 * 1024          # `length` counts the type byte and the body
STRING_LENGTH_MAX = 0xFFFF                   # `string` has a u16 length
BYTES_LENGTH_MAX = 0xFFFFFFFE                # 0xFFFFFFFF is null
STREAM_COUNT_MAX = 0xFFFF                    # Metadata counts inputs and outputs with u16
HEADER_COUNT_MAX = 0xFFFF
NULL_LENGTH = 0xFFFFFFFF
NO_RECORD_INDEX = 0xFFFFFFFF                 # Failed: no single record is to blame
NO_BATCH_ID = 0                              # Failed: not in a batch (Hello, init); real ids start at 1

# The smallest encodings, used to refuse a count that cannot fit in the rest of a frame before looping.
RECORD_SIZE_MIN = 2 + 4 + 8 + 8 + 4 + 4 + 2  # input index, partition, offset, time, null key, null value, 0 headers
TIMER_SIZE_MIN = 4 + 8
HEADER_SIZE_MIN = 2 + 4

# Runtime → operator.
HELLO = 0x01
RECORDS = 0x03
TIMERS = 0x04
STOP = 0x05
# Operator → runtime.
METADATA = 0x81
READY = 0x82
BATCH_RESULT = 0x83
FAILED = 0x84
STOPPED = 0x85

# A BatchResult is assembled in place: this prefix is reserved and patched when the batch ends.
BATCH_RESULT_PREFIX_SIZE = 4 + 1 + 8 + 4     # length, type, batch id, output count

pack_u16 = struct.Struct(">H").pack
pack_u32 = struct.Struct(">I").pack
pack_i64 = struct.Struct(">q").pack
pack_length_type = struct.Struct(">IB").pack
pack_into_batch_result_prefix = struct.Struct(">IBQI").pack_into
unpack_u16 = struct.Struct(">H").unpack_from
unpack_u32 = struct.Struct(">I").unpack_from
unpack_i64 = struct.Struct(">q").unpack_from
unpack_batch_head = struct.Struct(">QI").unpack_from        # batch id, count
unpack_record_head = struct.Struct(">HiqqI").unpack_from    # input index, partition, offset, time, key length
RECORD_HEAD_SIZE = 26
unpack_hello_tail = struct.Struct(">II").unpack_from        # instance index, instance count
NULL_BYTES = pack_u32(NULL_LENGTH)
NO_HEADERS = b"\x00\x00"


class ProtocolError(Exception):
    """A frame from the runtime breaks the protocol. The SDK cannot resynchronise after one, so it exits."""


class FrameReader:
    """Reads whole frames from a binary stream (ideally a large-buffered one).

    `read_frame` returns the frame after its length field (type byte first) as `bytes`, or None at end of
    input between frames. A length of 0 or over the limit, or input ending inside a frame, raises
    ProtocolError at once: the reader never waits for bytes a broken length promises.
    """

    __slots__ = ("_read",)

    def __init__(self, stream):
        self._read = stream.read

    def read_frame(self):
        head = self._read(4)
        if not head:
            return None
        if len(head) < 4:
            raise ProtocolError("input ended inside a frame's length field (%d of 4 bytes)" % len(head))
        (length,) = unpack_u32(head, 0)
        if length == 0:
            raise ProtocolError("frame length is 0 (a frame has at least its type byte)")
        if length > FRAME_LENGTH_MAX:
            raise ProtocolError("frame length %d is over the %d-byte limit" % (length, FRAME_LENGTH_MAX))
        frame = self._read(length)
        if len(frame) < length:
            raise ProtocolError("input ended inside a frame: %d of %d bytes" % (len(frame), length))
        return frame


# Decoding helpers. Each takes the frame and a position and returns (value, new position); they raise
# ProtocolError (never IndexError or struct.error) on a field that runs past the frame.

def read_string(frame, position):
    try:
        (length,) = unpack_u16(frame, position)
    except struct.error:
        raise ProtocolError("string length runs past the end of the frame") from None
    position += 2
    end = position + length
    if end > len(frame):
        raise ProtocolError("string of %d bytes runs past the end of the frame" % length)
    try:
        return frame[position:end].decode("utf-8"), end
    except UnicodeDecodeError as error:
        raise ProtocolError("string is not UTF-8: %s" % error) from None


def read_bytes(frame, position):
    try:
        (length,) = unpack_u32(frame, position)
    except struct.error:
        raise ProtocolError("bytes length runs past the end of the frame") from None
    position += 4
    if length == NULL_LENGTH:
        return None, position
    end = position + length
    if end > len(frame):
        raise ProtocolError("bytes of length %d run past the end of the frame" % length)
    return frame[position:end], end


def read_headers(frame, position):
    """Returns a tuple of (str key, bytes-or-None value) pairs; the empty tuple when there are none."""
    try:
        (count,) = unpack_u16(frame, position)
    except struct.error:
        raise ProtocolError("header count runs past the end of the frame") from None
    position += 2
    if count == 0:
        return (), position
    if count * HEADER_SIZE_MIN > len(frame) - position:
        raise ProtocolError("header count %d cannot fit in the rest of the frame" % count)
    headers = []
    for _ in range(count):
        key, position = read_string(frame, position)
        value, position = read_bytes(frame, position)
        headers.append((key, value))
    return tuple(headers), position


def expect_end(frame, position, what):
    if position != len(frame):
        raise ProtocolError("%s frame has %d bytes left over after its body" % (what, len(frame) - position))


def decode_hello(frame):
    """Returns (version, operator name, instance id, instance index, instance count).

    Only the version is read when it is not one this SDK speaks: a later version may lay out the rest
    differently, and the answer (Failed naming our versions) does not need it.
    """
    try:
        (version,) = unpack_u16(frame, 1)
    except struct.error:
        raise ProtocolError("Hello frame is too short for its version field") from None
    if version not in SUPPORTED_VERSIONS:
        return version, None, None, None, None
    name, position = read_string(frame, 3)
    instance_id, position = read_string(frame, position)
    try:
        index, count = unpack_hello_tail(frame, position)
    except struct.error:
        raise ProtocolError("Hello frame is too short for its instance index and count") from None
    expect_end(frame, position + 8, "Hello")
    return version, name, instance_id, index, count


def decode_batch_head(frame, item_size_min, what):
    """Returns (batch id, count) of a Records or Timers frame, with the count checked against the frame."""
    try:
        batch_id, count = unpack_batch_head(frame, 1)
    except struct.error:
        raise ProtocolError("%s frame is too short for its batch id and count" % what) from None
    if count * item_size_min > len(frame) - 13:
        raise ProtocolError("%s count %d cannot fit in the rest of the frame" % (what, count))
    return batch_id, count


def decode_timers(frame):
    """Returns (batch id, [(key bytes or None, time ms), ...])."""
    batch_id, count = decode_batch_head(frame, TIMER_SIZE_MIN, "Timers")
    position = 13
    timers = []
    append = timers.append
    try:
        for _ in range(count):
            key, position = read_bytes(frame, position)
            (time_ms,) = unpack_i64(frame, position)
            position += 8
            append((key, time_ms))
    except struct.error:
        raise ProtocolError("Timers frame ends inside a timer") from None
    expect_end(frame, position, "Timers")
    return batch_id, timers


# Encoders for the operator's messages other than BatchResult (which the context builds in place).

def frame(message_type, body=b""):
    return pack_length_type(len(body) + 1, message_type) + body


def encode_string(text):
    data = text.encode("utf-8")
    if len(data) > STRING_LENGTH_MAX:
        raise ValueError("string of %d UTF-8 bytes is over the %d-byte limit" % (len(data), STRING_LENGTH_MAX))
    return pack_u16(len(data)) + data


def encode_bytes(data):
    if data is None:
        return NULL_BYTES
    return pack_u32(len(data)) + data


def encode_metadata(name, inputs, outputs):
    """`inputs` is [(stream, grouping code)], `outputs` is [stream]."""
    parts = [encode_string(name), pack_u16(len(inputs))]
    for stream, grouping in inputs:
        parts.append(encode_string(stream))
        parts.append(bytes((grouping,)))
    parts.append(pack_u16(len(outputs)))
    for stream in outputs:
        parts.append(encode_string(stream))
    return frame(METADATA, b"".join(parts))


def encode_ready(timers_section):
    """`timers_section` is the encoded timers set during init, after their u32 count."""
    return frame(READY, timers_section)


def encode_failed(batch_id, record_index, text):
    data = text.encode("utf-8", "replace")
    # Keep the frame under the limit whatever the traceback's length; the head of an error says most.
    room = FRAME_LENGTH_MAX - 1 - 8 - 4 - 4
    if len(data) > room:
        data = data[:room]
    return frame(FAILED, struct.pack(">QI", batch_id, record_index) + encode_bytes(data))


def encode_stopped():
    return frame(STOPPED)
