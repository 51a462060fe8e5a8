"""What a user writes against: the Computation base class, Metadata, StreamGrouping, and the Record and
Timer objects handed to process_record and process_timer. Modelled on the Concord computation API."""


class StreamGrouping:
    """How an input stream's records are spread over an operator's instances (the Metadata grouping byte)."""

    SHUFFLE = 0     # any instance may get any record
    GROUP_BY = 1    # all records with one key go to one instance

    _NAMES = {0: "SHUFFLE", 1: "GROUP_BY"}


class Metadata:
    """An operator's name and streams.

    `istreams` items are a stream name (grouped SHUFFLE) or a `(name, StreamGrouping.X)` pair; a source
    declares none. `ostreams` are the only streams `ctx.produce_record` accepts.
    """

    __slots__ = ("name", "istreams", "ostreams")

    def __init__(self, name, istreams=(), ostreams=()):
        self.name = name
        self.istreams = list(istreams)
        self.ostreams = list(ostreams)

    def __repr__(self):
        return "Metadata(name=%r, istreams=%r, ostreams=%r)" % (self.name, self.istreams, self.ostreams)

    def normalized(self):
        """Returns (name, [(stream, grouping code)], [stream]) after checking every field; raises ValueError."""
        if not isinstance(self.name, str) or not self.name:
            raise ValueError("Metadata.name must be a non-empty str, got %r" % (self.name,))
        inputs = []
        for item in self.istreams:
            if isinstance(item, str):
                stream, grouping = item, StreamGrouping.SHUFFLE
            elif isinstance(item, (tuple, list)) and len(item) == 2:
                stream, grouping = item
            else:
                raise ValueError("an istream is a name or a (name, StreamGrouping.X) pair, got %r" % (item,))
            if not isinstance(stream, str) or not stream:
                raise ValueError("an istream name must be a non-empty str, got %r" % (stream,))
            if grouping not in StreamGrouping._NAMES:
                raise ValueError("istream %r has grouping %r; use StreamGrouping.SHUFFLE or GROUP_BY"
                                 % (stream, grouping))
            inputs.append((stream, int(grouping)))
        outputs = []
        for stream in self.ostreams:
            if not isinstance(stream, str) or not stream:
                raise ValueError("an ostream must be a non-empty str, got %r" % (stream,))
            outputs.append(stream)
        for what, names in (("istreams", [stream for stream, _ in inputs]), ("ostreams", outputs)):
            if len(set(names)) != len(names):
                raise ValueError("Metadata.%s names a stream twice: %r" % (what, names))
        return self.name, inputs, outputs


class Computation:
    """Optional base class: serve_computation accepts any object with these methods, and every method
    but `metadata` may be left out."""

    def init(self, ctx):
        """Called once before the first batch. Timers set here are the operator's first (a source's only way
        to start); producing records here is refused, since no batch would make them atomic."""

    def process_record(self, ctx, record):
        """Called for each input record, in order within a batch."""

    def process_timer(self, ctx, key, time):
        """Called for each timer that fired; `key` is bytes or None, `time` ms since the epoch.
        A two-argument form `process_timer(self, ctx, timer)` receives a Timer instead."""

    def destroy(self):
        """Called on Stop, before the SDK answers Stopped and exits."""

    def metadata(self):
        raise NotImplementedError("a computation must return its sluice.Metadata from metadata()")


class Record:
    """One input record. `key` and `data` are bytes (key None when the record has none); `time` is the
    record's timestamp in ms since the epoch; `headers` is a tuple of (str, bytes-or-None) pairs."""

    __slots__ = ("stream", "key", "data", "time", "offset", "partition", "headers")

    def __init__(self, stream, key, data, time, offset, partition, headers=()):
        self.stream = stream
        self.key = key
        self.data = data
        self.time = time
        self.offset = offset
        self.partition = partition
        self.headers = headers

    @property
    def value(self):
        return self.data

    def __repr__(self):
        return "Record(stream=%r, key=%r, data=%r, time=%r, offset=%r, partition=%r, headers=%r)" % (
            self.stream, self.key, self.data, self.time, self.offset, self.partition, self.headers)


class Timer:
    """A timer that fired: `key` is bytes or None (as set, str keys come back UTF-8 encoded), `time` in ms."""

    __slots__ = ("key", "time")

    def __init__(self, key, time):
        self.key = key
        self.time = time

    def __repr__(self):
        return "Timer(key=%r, time=%r)" % (self.key, self.time)
