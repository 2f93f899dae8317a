from tinyedge.device.result_log import ResultLog


def test_results_survive_reopen_and_are_never_duplicated(tmp_path):
    path = tmp_path / "log.jsonl"
    with ResultLog(path, output_bytes=3) as log:
        assert log.add(0, 100, b"\x01\x02\x03")
        assert log.add(5, 101, b"\x04\x05\x06")
        assert not log.add(0, 999, b"\x09\x09\x09")  # a retry's duplicate is ignored
    with ResultLog(path, output_bytes=3) as log:
        assert sorted(log.results) == [0, 5]
        assert log.results[0] == (100, b"\x01\x02\x03")
    assert len(path.read_text().splitlines()) == 3  # the key line and two results


def test_torn_last_line_is_discarded_and_truncated(tmp_path):
    path = tmp_path / "log.jsonl"
    with ResultLog(path, output_bytes=2) as log:
        log.add(1, 7, b"\xaa\xbb")
        log.add(2, 8, b"\xcc\xdd")
    text = path.read_bytes()
    path.write_bytes(text + b'{"i": 3, "count": 9, "ou')  # killed mid-write
    with ResultLog(path, output_bytes=2) as log:
        assert sorted(log.results) == [1, 2]
        log.add(3, 9, b"\xee\xff")
    with ResultLog(path, output_bytes=2) as log:
        assert sorted(log.results) == [1, 2, 3]


def test_wrong_sized_entry_stops_recovery(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_text('{"key": {}}\n{"i": 0, "count": 1, "out": "aabb"}\n'
                    '{"i": 1, "count": 1, "out": "aa"}\n')
    with ResultLog(path, output_bytes=2) as log:
        assert list(log.results) == [0]


KEY = {"model_sha256": "aa" * 32, "firmware_sha256": "bb" * 32, "protocol": 2,
       "target": {"board": "nucleo-f746", "reach": "qemu"},
       "inputs": {"dataset": "digits", "split": "test", "sha256": "cc" * 32}}


def test_results_of_another_producer_are_moved_aside_never_reused(tmp_path):
    path = tmp_path / "log.jsonl"
    with ResultLog(path, output_bytes=1, key=KEY) as log:
        log.add(0, 5, b"\x01")
    with ResultLog(path, output_bytes=1, key=dict(KEY)) as log:  # same key: resumed
        assert log.results == {0: (5, b"\x01")} and log.moved_aside is None
    other = {**KEY, "model_sha256": "dd" * 32}  # re-exported model
    with ResultLog(path, output_bytes=1, key=other) as log:
        assert log.results == {} and log.moved_aside is not None
        log.add(0, 6, b"\x02")
    kept = log.moved_aside
    assert kept.is_file() and '"aaaa' in kept.read_text() and kept.name.endswith(".old")
    with ResultLog(path, output_bytes=1, key=other) as log:
        assert log.results == {0: (6, b"\x02")}


def test_a_log_without_a_key_is_moved_aside(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_text('{"i": 0, "count": 1, "out": "aa"}\n')
    with ResultLog(path, output_bytes=1, key=KEY) as log:
        assert log.results == {} and log.moved_aside is not None
    assert log.moved_aside.read_text() == '{"i": 0, "count": 1, "out": "aa"}\n'
