"""Results-section generation (benchmarks/README.md): every placeholder of benchmarks/results_section.md has a value from the committed
results, and the section is replaced between the markers, nothing else."""

import shutil

from tools.results import REPO
from tools.results.readme import BEGIN, END, results_section, update_readme


def test_every_placeholder_is_filled_from_the_committed_results():
    assert "${" not in results_section(REPO)


def test_update_readme_replaces_only_the_section(tmp_path):
    shutil.copytree(REPO / "benchmarks", tmp_path / "benchmarks")
    readme = tmp_path / "benchmarks" / "README.md"
    readme.write_text(f"# title\n\n{BEGIN}\nstale\n{END}\n\n## after\n")
    assert update_readme(tmp_path, check=True) and "stale" in readme.read_text()  # check writes nothing
    assert update_readme(tmp_path)
    text = readme.read_text()
    assert text.startswith(f"# title\n\n{BEGIN}\n\n") and text.endswith(f"\n{END}\n\n## after\n")
    assert results_section(tmp_path) in text and "stale" not in text
    assert not update_readme(tmp_path, check=True)  # up to date now
    assert (tmp_path / "benchmarks" / "accuracy_curves.png").stat().st_size > 0
