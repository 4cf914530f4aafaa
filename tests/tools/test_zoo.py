"""The measured-sizes block of a model YAML: written, read back, replaced in place."""

from tools.results.zoo import HEADER_BEGIN, header_sizes, write_header


def test_header_round_trip(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("# a model\n# second comment\nnc: 80\n")
    write_header(path, {"n": {"params": 1234, "gflops": 1.5}, "s": {"params": 56789, "gflops": 4.25}})
    assert header_sizes(path) == {"n": 1234, "s": 56789}
    write_header(path, {"n": {"params": 99, "gflops": 0.1}})
    text = path.read_text()
    assert header_sizes(path) == {"n": 99} and text.count(HEADER_BEGIN) == 1
    assert text.startswith("# a model\n# second comment\n") and text.endswith("nc: 80\n")
