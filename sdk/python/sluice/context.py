"""The `ctx` passed to user code: produce_record and set_timer, encoding straight into the reply frame.

A BatchResult is assembled in one bytearray while the batch runs: a reserved prefix (length, type, batch
id, output count, patched at the end), then each output as it is produced. Timers go to a second
bytearray because they follow every output in the frame. Encoding as we go means nothing is held per
output but its bytes, and the frame limit is checked at the produce_record call that would break it.
"""

from . import _wire

_pack_u16 = _wire.pack_u16
_pack_u32 = _wire.pack_u32
_pack_i64 = _wire.pack_i64
_NULL_BYTES = _wire.NULL_BYTES
_NO_HEADERS = _wire.NO_HEADERS
_FRAME_LENGTH_MAX = _wire.FRAME_LENGTH_MAX
_MISSING = object()
# The W3C trace context header (Docs/tracing.md): copied from the record being processed onto every
# record produced while processing it, so the next operator continues the trace.
TRACEPARENT = "traceparent"


class UndeclaredStreamError(ValueError):
    """produce_record named a stream that the operator's Metadata does not declare in ostreams."""


class OutputLimitError(RuntimeError):
    """A batch's outputs and timers would not fit in one frame (64 MiB). The SDK answers Failed naming the
    record (or timer) that crossed the limit, so the runtime retries the earlier ones as their own batch."""


class NotInBatchError(RuntimeError):
    """produce_record was called outside process_record / process_timer (e.g. in init)."""


def _to_bytes(value, what):
    """Key, value and header encodings: bytes as they are, str as UTF-8, other buffers copied."""
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise TypeError("%s must be bytes, str or None, got %s" % (what, type(value).__name__))


def _encode_headers(headers):
    items = list(headers.items()) if isinstance(headers, dict) else list(headers)
    if len(items) > _wire.HEADER_COUNT_MAX:
        raise ValueError("%d headers is over the limit of %d" % (len(items), _wire.HEADER_COUNT_MAX))
    parts = [_pack_u16(len(items))]
    for key, value in items:
        if not isinstance(key, str):
            raise TypeError("a header key must be str, got %s" % type(key).__name__)
        parts.append(_wire.encode_string(key))
        parts.append(_NULL_BYTES if value is None else _wire.encode_bytes(_to_bytes(value, "a header value")))
    return b"".join(parts)


def _traceparent_of(headers):
    for key, value in headers:
        if key == TRACEPARENT:
            return value
    return None


def _with_traceparent(headers, value):
    """The user's headers, plus the inherited traceparent unless they set one themselves."""
    items = list(headers.items()) if isinstance(headers, dict) else list(headers)
    for key, _ in items:
        if key == TRACEPARENT:
            return items
    items.append((TRACEPARENT, value))
    return items


class Context:
    """Passed to init, process_record and process_timer.

    Attributes from the runtime's Hello: `operator_name`, `instance_id`, `instance_index`,
    `instance_count`.
    """

    __slots__ = ("operator_name", "instance_id", "instance_index", "instance_count",
                 "_output_prefixes", "_ostreams", "_out", "_output_count", "_timers", "_timer_count",
                 "_over_limit", "_trace", "_trace_section")

    def __init__(self, ostreams, operator_name="", instance_id="", instance_index=0, instance_count=1):
        self.operator_name = operator_name
        self.instance_id = instance_id
        self.instance_index = instance_index
        self.instance_count = instance_count
        self._ostreams = list(ostreams)
        # Each declared stream maps to its encoded u16 output index, so producing is one dict lookup.
        self._output_prefixes = {stream: _pack_u16(index) for index, stream in enumerate(self._ostreams)}
        self._out = None             # None outside a batch: produce_record is refused
        self._output_count = 0
        self._timers = bytearray()
        self._timer_count = 0
        self._over_limit = False
        self._trace = None            # the traceparent of the record being processed, if it has one
        self._trace_section = None    # that header alone, encoded as a headers field

    # The user API.

    def produce_record(self, stream, key, data, headers=None):
        """Appends a record to `stream` (one of the Metadata ostreams). `key` and `data` are bytes, str
        (UTF-8 encoded) or None; `headers` optional, a dict or (str, bytes) pairs. The record is written
        only if the whole batch succeeds. It inherits the `traceparent` header of the record being
        processed unless `headers` has one."""
        prefix = self._output_prefixes.get(stream)
        if prefix is None:
            raise UndeclaredStreamError("stream %r is not declared in metadata ostreams %r"
                                        % (stream, self._ostreams))
        out = self._out
        if out is None:
            raise NotInBatchError("produce_record is only allowed in process_record and process_timer: "
                                  "outputs belong to a batch, and init runs again at every restart")
        if type(key) is not bytes and key is not None:
            key = _to_bytes(key, "key")
        if type(data) is not bytes and data is not None:
            data = _to_bytes(data, "data")
        out += prefix
        if key is None:
            out += _NULL_BYTES
        else:
            out += _pack_u32(len(key))
            out += key
        if data is None:
            out += _NULL_BYTES
        else:
            out += _pack_u32(len(data))
            out += data
        if headers:
            out += _encode_headers(_with_traceparent(headers, self._trace) if self._trace is not None else headers)
        else:
            out += self._trace_section or _NO_HEADERS
        self._output_count += 1
        if len(out) + len(self._timers) > _FRAME_LENGTH_MAX:
            self._over_limit = True
            raise OutputLimitError("the batch's outputs exceed the %d-byte frame limit" % _FRAME_LENGTH_MAX)

    def set_timer(self, key_or_time, time=_MISSING):
        """`set_timer(key, time_ms)` or `set_timer(time_ms)` (no key). The runtime calls process_timer
        at or after `time_ms`; a key has at most one pending timer, and setting it again replaces it."""
        if time is _MISSING:
            key, time = None, key_or_time
        else:
            key = key_or_time
        if isinstance(time, bool) or not isinstance(time, int):
            if isinstance(time, float) and time.is_integer():
                time = int(time)
            else:
                raise TypeError("timer time must be an int of ms since the epoch, got %r" % (time,))
        if not -(1 << 63) <= time < (1 << 63):
            raise ValueError("timer time %d does not fit in an i64" % time)
        timers = self._timers
        if key is None:
            timers += _NULL_BYTES
        else:
            if type(key) is not bytes:
                key = _to_bytes(key, "timer key")
            timers += _pack_u32(len(key))
            timers += key
        timers += _pack_i64(time)
        self._timer_count += 1
        if len(timers) + (len(self._out) if self._out is not None else 0) > _FRAME_LENGTH_MAX:
            self._over_limit = True
            raise OutputLimitError("the batch's outputs and timers exceed the %d-byte frame limit"
                                   % _FRAME_LENGTH_MAX)

    # The SDK's side.

    def _set_trace(self, headers):
        """Called before each record of a batch that has headers: the trace context its outputs inherit."""
        value = _traceparent_of(headers) if headers else None
        if value is None:
            self._trace = None
            self._trace_section = None
        elif value != self._trace:
            self._trace = value
            self._trace_section = _pack_u16(1) + _wire.encode_string(TRACEPARENT) + _wire.encode_bytes(value)

    def _begin(self):
        self._trace = None
        self._trace_section = None
        self._out = bytearray(_wire.BATCH_RESULT_PREFIX_SIZE)
        self._output_count = 0
        self._timers = bytearray()
        self._timer_count = 0
        self._over_limit = False

    def _batch_result(self, batch_id):
        """Ends the batch and returns its BatchResult frame."""
        out = self._out
        out += _pack_u32(self._timer_count)
        out += self._timers
        _wire.pack_into_batch_result_prefix(out, 0, len(out) - 4, _wire.BATCH_RESULT, batch_id, self._output_count)
        self._discard()
        return out

    def _discard(self):
        self._out = None
        self._output_count = 0
        self._timers = bytearray()
        self._timer_count = 0
        self._over_limit = False

    def _init_timers_section(self):
        """The Ready body: the timers set during init, then forgets them."""
        section = _pack_u32(self._timer_count) + bytes(self._timers)
        self._discard()
        return section
