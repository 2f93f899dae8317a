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
    assert len(path.read_text().splitlines()) == 2


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
    path.write_text('{"i": 0, "count": 1, "out": "aabb"}\n{"i": 1, "count": 1, "out": "aa"}\n')
    with ResultLog(path, output_bytes=2) as log:
        assert list(log.results) == [0]
