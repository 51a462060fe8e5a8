"""Raw-socket checks of the ApiVersions handshake that every client starts with."""

import raw_kafka

# ApiVersions, Metadata, Produce, Fetch, ListOffsets, CreateTopics, DeleteTopics, DescribeConfigs.
REQUIRED_API_KEYS = {18, 3, 0, 1, 2, 19, 20, 32}


def check_ranges(ranges):
    keys = [key for key, _, _ in ranges]
    assert ranges, "no API ranges advertised"
    assert len(keys) == len(set(keys)), f"an API key is listed twice: {sorted(keys)}"
    for key, low, high in ranges:
        assert 0 <= low <= high, f"API {key}: bad range {low}..{high}"
    missing = REQUIRED_API_KEYS - set(keys)
    assert not missing, f"APIs not advertised: {sorted(missing)}"
    return {key: (low, high) for key, low, high in ranges}


def test_api_versions_v0(broker):
    with raw_kafka.connect(broker.port) as sock:
        sock.sendall(raw_kafka.request_frame(raw_kafka.API_VERSIONS, 0, correlation_id=7))
        correlation_id, error_code, ranges = raw_kafka.parse_api_versions_v0(raw_kafka.read_response(sock))
    assert correlation_id == 7
    assert error_code == 0
    versions = check_ranges(ranges)
    assert versions[18][0] == 0, "ApiVersions v0 must stay supported (it is how unknown versions are answered)"


def test_api_versions_unknown_version_answers_v0_with_error_35(broker):
    """An ApiVersions request of a version the broker does not know gets the v0 layout, error 35
    (UNSUPPORTED_VERSION) and the supported ranges, and the connection stays usable for the retry."""
    with raw_kafka.connect(broker.port) as sock:
        sock.sendall(raw_kafka.request_frame(raw_kafka.API_VERSIONS, 32767, correlation_id=41,
                                             body=raw_kafka.api_versions_v3_body(), flexible_header=True))
        correlation_id, error_code, ranges = raw_kafka.parse_api_versions_v0(raw_kafka.read_response(sock))
        assert correlation_id == 41
        assert error_code == 35, f"expected UNSUPPORTED_VERSION (35), got {error_code}"
        versions = check_ranges(ranges)
        assert versions[18][1] < 32767

        # A client now retries with the highest version it shares with the broker, on the same connection.
        sock.sendall(raw_kafka.request_frame(raw_kafka.API_VERSIONS, 0, correlation_id=42))
        correlation_id, error_code, ranges = raw_kafka.parse_api_versions_v0(raw_kafka.read_response(sock))
        assert (correlation_id, error_code) == (42, 0)
