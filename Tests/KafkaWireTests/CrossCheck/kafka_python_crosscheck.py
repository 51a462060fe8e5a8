"""Cross-checks KafkaWire against an independent codec (kafka-python 3.x, generated from Kafka's JSON schemas).

Run by hand, not in CI (kafka-python is a dev tool here, not a dependency):

    mkdir -p /tmp/vectors
    KAFKAWIRE_VECTOR_DIR=/tmp/vectors swift test --filter KafkaWireTests
    python3 Tests/KafkaWireTests/CrossCheck/kafka_python_crosscheck.py /tmp/vectors

Every round-trip sample (every message at every supported version) is decoded by kafka-python and re-encoded;
the bytes must be identical. A layout mistake shared by our encoder and decoder shows up here.
"""
import glob, os, sys, importlib, pkgutil
import kafka.protocol as kp
from kafka.protocol.api_message import ApiMessage

classes = {}
for module in pkgutil.walk_packages(kp.__path__, 'kafka.protocol.'):
    if '.old' in module.name or 'generate_stubs' in module.name:
        continue
    try:
        m = importlib.import_module(module.name)
    except Exception:
        continue
    for name in dir(m):
        obj = getattr(m, name)
        if isinstance(obj, type) and issubclass(obj, ApiMessage) and obj is not ApiMessage:
            classes.setdefault(name, obj)

ok = bad = 0
for path in sorted(glob.glob(sys.argv[1] + '/*.hex')):
    base = os.path.basename(path)
    name, version = base.split('_v')[0], int(base.split('_v')[1].split('_')[0])
    data = bytes.fromhex(open(path).read())
    cls = classes.get(name)
    if cls is None:
        print('NO CLASS', name); bad += 1; continue
    try:
        decoded = cls.decode(data, version=version)
        try:
            again = decoded.encode()
        except AttributeError:
            object.__setattr__(decoded, "_header", None); again = decoded.encode(version=version)
    except Exception as e:
        print('FAIL', base, type(e).__name__, e); bad += 1; continue
    if again != data:
        print('DIFF', base, '\n  ours  ', data.hex(), '\n  theirs', again.hex()); bad += 1
    else:
        ok += 1
print(ok, 'agree,', bad, 'disagree')
