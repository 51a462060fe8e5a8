"""Copies every record of its input to its output, tagging each with header fixture.tag (FIXTURE_TAG).

FIXTURE_TAG "@instance" tags with the instance index from Hello.
FIXTURE_BEHAVIOUR: "" (identity), "fail-bad" (records whose value starts with b"bad" raise),
"crash-on-poison" (the process exits on a record whose value is b"poison"), "crash-at-once" (the process
exits on its first Records batch), "garbage-on-poison" (writes a frame header claiming 4 GiB on b"poison"), "hang-on-poison" (never answers),
"undeclared-output" (every output goes to index 7, which it never declared: an answer the runtime cannot apply),
"hog-on-poison" (allocates and touches up to 512 MiB on b"poison": over a memory limit it is killed, or dies of
MemoryError).
"""
import os
import struct
import sys

from sluice_fixture import Failed, env, run, string, nbytes

NAME = env("FIXTURE_NAME", "identity")
INPUT = env("FIXTURE_INPUT", "in")
OUTPUT = env("FIXTURE_OUTPUT", "out")
TAG = env("FIXTURE_TAG", "")
BEHAVIOUR = env("FIXTURE_BEHAVIOUR", "")
TAG_HEADER = string("fixture.tag") + nbytes(TAG.encode())


def copy(body):
    from sluice_fixture import HELLO, records
    outs = []
    tag_header = TAG_HEADER
    if TAG == "@instance":
        tag_header = string("fixture.tag") + nbytes(str(HELLO["index"]).encode())
    if BEHAVIOUR == "crash-at-once":
        os._exit(4)
    for index, (start, key_start, headers_start, end, value) in enumerate(records(body)):
        if BEHAVIOUR == "fail-bad" and value is not None and value.startswith(b"bad"):
            raise Failed(index, "refusing a bad record")
        if BEHAVIOUR == "crash-on-poison" and value == b"poison":
            sys.stderr.write("poison record, exiting\n")
            sys.stderr.flush()
            os._exit(3)
        if BEHAVIOUR == "hog-on-poison" and value == b"poison":
            chunks = [b"\x01" * (16 << 20) for _ in range(32)]
            del chunks
        if BEHAVIOUR == "hang-on-poison" and value == b"poison":
            import time
            time.sleep(3600)
        if BEHAVIOUR == "garbage-on-poison" and value == b"poison":
            sys.stdout.buffer.write(b"\xff\xff\xff\xff\x83")
            sys.stdout.buffer.flush()
        (count,) = struct.unpack_from(">H", body, headers_start)
        # The record's key, value and headers are already in the output's encoding: copy the bytes.
        output_index = b"\x00\x07" if BEHAVIOUR == "undeclared-output" else b"\x00\x00"
        outs.append(output_index + body[key_start:headers_start] + struct.pack(">H", count + 1)
                    + body[headers_start + 2:end] + tag_header)
    return outs, []


sys.stderr.write("identity %s starting (tag %s)\n" % (NAME, TAG))
sys.stderr.flush()
run(NAME, [INPUT], [OUTPUT], copy)
