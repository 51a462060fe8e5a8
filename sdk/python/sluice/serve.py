"""serve_computation: the operator's side of the conversation in Docs/operator-protocol.md.

Channels. Frames are read from the process's original standard input and written to its original
standard output, both moved to private descriptors first; descriptors 0 and 1 are then pointed at
/dev/null and standard error, and `sys.stdout` at `sys.stderr`, so nothing the user's code (or a C
library, or a child process) reads or prints can touch the protocol.

Errors. An exception in process_record / process_timer answers Failed naming that record or timer and
the SDK keeps serving; one in metadata or init answers Failed (batch id 0) and exits 1. A frame that
breaks the protocol is reported on stderr and exits 2: after one, the stream cannot be trusted.

Limits. Running out of a resource the runtime limits (MemoryError under the memory limit, "Too many open
files", "can't start new thread") is not the record's fault: the traceback goes to stderr and the process
exits 3, so the runtime reports the limit and stops the operator (Docs/security.md, "Operator limits")
instead of dead-lettering records one by one while the process stays exhausted.
"""

import errno
import inspect
import io
import os
import struct
import sys
import traceback

from . import _wire
from .computation import Computation, Record, Timer
from .context import Context, OutputLimitError

EXIT_OPERATOR_FAILED = 1   # metadata or init raised, or the runtime speaks another version
EXIT_PROTOCOL_ERROR = 2    # a malformed or unexpected frame from the runtime
EXIT_RESOURCE_EXHAUSTED = 3  # out of memory, file descriptors or threads: a limit, not a bad record
READ_BUFFER_SIZE = 1 << 20  # large reads: a batch of thousands of records arrives in a few system calls

_unpack_u16 = _wire.unpack_u16
_unpack_u32 = _wire.unpack_u32
_unpack_record_head = _wire.unpack_record_head
_RECORD_HEAD_SIZE = _wire.RECORD_HEAD_SIZE
_NULL_LENGTH = _wire.NULL_LENGTH


def _is_exhaustion(error):
    """Whether `error` means the process ran out of something its limits bound."""
    if isinstance(error, MemoryError):
        return True
    if isinstance(error, OSError) and error.errno in (errno.EMFILE, errno.ENFILE):
        return True
    return isinstance(error, RuntimeError) and "can't start new thread" in str(error)


def _exit_if_exhausted(error):
    if not _is_exhaustion(error):
        return
    # The exit happens even if printing fails for want of the same resource.
    try:
        traceback.print_exc()
        sys.stderr.flush()
    finally:
        os._exit(EXIT_RESOURCE_EXHAUSTED)


def _log(message):
    sys.stderr.write("sluice: %s\n" % message)
    sys.stderr.flush()


class _Channel:
    """The protocol's two pipes, taken from descriptors 0 and 1. Made once per process (see claim_channel)."""

    def __init__(self):
        input_fd = os.dup(0)
        self.output_fd = os.dup(1)
        null_fd = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null_fd, 0)
        os.close(null_fd)
        os.dup2(2, 1)
        if sys.stdout is not None:
            sys.stdout.flush()      # after the dup2: whatever was printed but still buffered goes to the log
        sys.stdout = sys.stderr
        sys.stdin = io.TextIOWrapper(io.BytesIO(b""))
        self.reader = _wire.FrameReader(io.open(input_fd, "rb", buffering=READ_BUFFER_SIZE))

    def write(self, data):
        view = memoryview(data)
        while view:
            written = os.write(self.output_fd, view)
            view = view[written:]


_channel = None


def claim_channel():
    """Moves the protocol's pipes to private descriptors and points stdout at stderr; idempotent.

    `import sluice` calls this when the runtime's SLUICE_OPERATOR_PROTOCOL variable is set, so that even
    a print at import time (after `import sluice`) cannot corrupt a frame; serve_computation calls it
    otherwise.
    """
    global _channel
    if _channel is None:
        _channel = _Channel()
        # Not for child processes: their descriptors 0 and 1 are no longer the runtime's pipes.
        os.environ.pop("SLUICE_OPERATOR_PROTOCOL", None)
    return _channel


def _timer_dispatch(computation):
    """Returns a function (ctx, key, time) calling the user's process_timer in whichever form it takes,
    or None when the computation has no process_timer (its timers are then ignored)."""
    method = getattr(computation, "process_timer", None)
    if method is None:
        return None
    try:
        parameters = list(inspect.signature(method).parameters.values())
    except (TypeError, ValueError):
        return method
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    variadic = any(p.kind == p.VAR_POSITIONAL for p in parameters)
    if len(positional) == 2 and not variadic:
        return lambda ctx, key, time: method(ctx, Timer(key, time))
    return method


def _init_method(computation):
    """`init`, or the `initialize` alias when `init` is missing or only Computation's empty one."""
    init = getattr(computation, "init", None)
    inherited = getattr(type(computation), "init", None) is Computation.init
    if init is None or inherited:
        return getattr(computation, "initialize", None) or init
    return init


def _decode_records(frame, input_streams):
    """Returns (batch id, [Record], whether any record has headers). The whole frame is checked before any
    user code runs.

    The hot loop of the SDK: one unpack for the fixed fields, one slice each for key and value, and
    Records filled in without an __init__ call (a third of the decoding time at 100-byte records).
    """
    batch_id, count = _wire.decode_batch_head(frame, _wire.RECORD_SIZE_MIN, "Records")
    input_count = len(input_streams)
    records = []
    append = records.append
    new = object.__new__
    position = 13
    has_headers = False
    try:
        for _ in range(count):
            input_index, partition, offset, time, key_length = _unpack_record_head(frame, position)
            position += _RECORD_HEAD_SIZE
            if key_length == _NULL_LENGTH:
                key = None
            else:
                key = frame[position:position + key_length]
                position += key_length
            (value_length,) = _unpack_u32(frame, position)
            position += 4
            if value_length == _NULL_LENGTH:
                value = None
            else:
                value = frame[position:position + value_length]
                position += value_length
            if frame[position] == 0 and frame[position + 1] == 0:
                headers = ()
                position += 2
            else:
                headers, position = _wire.read_headers(frame, position)
                has_headers = True
            if input_index >= input_count:
                raise _wire.ProtocolError("record has input index %d but the operator declares %d inputs"
                                          % (input_index, input_count))
            record = new(Record)
            record.stream = input_streams[input_index]
            record.key = key
            record.data = value
            record.time = time
            record.offset = offset
            record.partition = partition
            record.headers = headers
            append(record)
    except (struct.error, IndexError):
        # A slice past the end comes back short rather than raising; the next field read then fails here.
        raise _wire.ProtocolError("Records frame ends inside a record (a field runs past the end of the frame)") from None
    _wire.expect_end(frame, position, "Records")
    return batch_id, records, has_headers


class _Server:
    def __init__(self, computation, channel):
        self.computation = computation
        self.channel = channel
        self.process_record = getattr(computation, "process_record", None)
        self.process_timer = _timer_dispatch(computation)
        self.input_streams = ()
        self.ctx = None

    def fail(self, batch_id, index, text):
        self.channel.write(_wire.encode_failed(batch_id, index, text))

    def start(self):
        """Hello → Metadata → init → Ready. Returns an exit code when the operator cannot start, else None."""
        frame = self.channel.reader.read_frame()
        if frame is None:
            raise _wire.ProtocolError("input ended before Hello")
        if frame[0] != _wire.HELLO:
            raise _wire.ProtocolError("expected Hello (0x01) first, got message type 0x%02x" % frame[0])
        version, name, instance_id, index, count = _wire.decode_hello(frame)
        if version not in _wire.SUPPORTED_VERSIONS:
            text = "protocol version %d is not supported; this SDK speaks %s" % (
                version, ", ".join(str(v) for v in _wire.SUPPORTED_VERSIONS))
            _log(text)
            self.fail(_wire.NO_BATCH_ID, _wire.NO_RECORD_INDEX, text)
            return EXIT_OPERATOR_FAILED
        try:
            metadata = self.computation.metadata()
            operator_name, inputs, outputs = metadata.normalized()
            metadata_frame = _wire.encode_metadata(operator_name, inputs, outputs)
        except Exception:
            return self.fail_to_start("metadata() failed:\n" + traceback.format_exc())
        self.channel.write(metadata_frame)
        self.input_streams = tuple(stream for stream, _ in inputs)
        self.ctx = Context(outputs, name, instance_id, index, count)
        init = _init_method(self.computation)
        if init is not None:
            try:
                init(self.ctx)
            except Exception:
                return self.fail_to_start("init failed:\n" + traceback.format_exc())
        self.channel.write(_wire.encode_ready(self.ctx._init_timers_section()))
        return None

    def fail_to_start(self, text):
        _log(text.rstrip())
        self.fail(_wire.NO_BATCH_ID, _wire.NO_RECORD_INDEX, text)
        return EXIT_OPERATOR_FAILED

    def run(self):
        """Serves batches until Stop (returns 0) or the end of input between frames (returns 0)."""
        read_frame = self.channel.reader.read_frame
        while True:
            frame = read_frame()
            if frame is None:
                _log("input ended without Stop; the runtime is gone, exiting")
                self.destroy()
                return 0
            message_type = frame[0]
            if message_type == _wire.RECORDS:
                batch_id, records, has_headers = _decode_records(frame, self.input_streams)
                self.run_records(batch_id, records, has_headers)
            elif message_type == _wire.TIMERS:
                batch_id, timers = _wire.decode_timers(frame)
                self.run_timers(batch_id, timers)
            elif message_type == _wire.STOP:
                _wire.expect_end(frame, 1, "Stop")
                self.destroy()
                self.channel.write(_wire.encode_stopped())
                return 0
            elif message_type == _wire.HELLO:
                raise _wire.ProtocolError("a second Hello after the conversation started")
            else:
                raise _wire.ProtocolError("unknown message type 0x%02x" % message_type)

    def run_records(self, batch_id, records, has_headers):
        ctx = self.ctx
        process = self.process_record
        ctx._begin()
        if process is not None:
            record = None
            try:
                if has_headers:
                    # Only batches with headers pay for trace propagation (Docs/tracing.md).
                    set_trace = ctx._set_trace
                    for record in records:
                        set_trace(record.headers)
                        process(ctx, record)
                else:
                    for record in records:
                        process(ctx, record)
            except Exception:
                # Found by identity on failure only, so the loop carries no counter.
                self.fail_batch(batch_id, records.index(record), "process_record")
                return
        self.finish_batch(batch_id)

    def run_timers(self, batch_id, timers):
        ctx = self.ctx
        process = self.process_timer
        ctx._begin()
        if process is not None:
            index = 0
            try:
                for key, time in timers:
                    process(ctx, key, time)
                    index += 1
            except Exception:
                self.fail_batch(batch_id, index, "process_timer")
                return
        self.finish_batch(batch_id)

    def finish_batch(self, batch_id):
        if self.ctx._over_limit:
            # The user's code caught the OutputLimitError, so which item crossed the limit is unknown.
            text = "the batch's outputs exceed the %d-byte frame limit" % _wire.FRAME_LENGTH_MAX
            self.ctx._discard()
            _log("batch %d: %s; answering Failed" % (batch_id, text))
            self.fail(batch_id, _wire.NO_RECORD_INDEX, text)
            return
        self.channel.write(self.ctx._batch_result(batch_id))

    def fail_batch(self, batch_id, index, where):
        _exit_if_exhausted(sys.exc_info()[1])
        text = traceback.format_exc()
        if self.ctx._over_limit:
            text = "%s: outputs up to and including item %d exceed the frame limit\n%s" % (where, index, text)
        self.ctx._discard()
        _log("batch %d: %s raised at item %d; answering Failed\n%s" % (batch_id, where, index, text.rstrip()))
        self.fail(batch_id, index, text)

    def destroy(self):
        destroy = getattr(self.computation, "destroy", None)
        if destroy is None:
            return
        try:
            destroy()
        except Exception:
            _log("destroy failed:\n" + traceback.format_exc().rstrip())


def serve_computation(computation):
    """Runs `computation` as a Sluice operator over standard input and output until Stop, then exits.

    `computation` is any object with `metadata()` and whichever of `init` (or `initialize`),
    `process_record`, `process_timer` and `destroy` it needs. Never returns.
    """
    try:
        channel = claim_channel()
        server = _Server(computation, channel)
        code = server.start()
        if code is None:
            code = server.run()
    except _wire.ProtocolError as error:
        _log("protocol error: %s; exiting" % error)
        code = EXIT_PROTOCOL_ERROR
    except BrokenPipeError:
        _log("the runtime closed the operator's output; exiting")
        code = EXIT_PROTOCOL_ERROR
    sys.stderr.flush()
    # sys.exit rather than os._exit: atexit handlers run and the user's open files are flushed.
    sys.exit(code)
