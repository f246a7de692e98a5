from __future__ import annotations

import json
from pathlib import Path

from r2p_search.embedding.export import exportable
from r2p_search.present import best_sentence, highlight
from r2p_search.words import query_terms


def test_query_terms_drop_stopwords() -> None:
    assert query_terms("What about the protection of civilians in Syria?") == [
        "protection",
        "civilians",
        "syria",
    ]


def test_best_sentence_shares_most_query_words_by_stem() -> None:
    text = "The Council met twice. It debated the protection of civilians in Syria. Then it adjourned."
    assert (
        best_sentence(text, "protecting Syrian civilians")
        == "It debated the protection of civilians in Syria."
    )
    assert best_sentence(text, "nuclear disarmament") is None  # no shared word: nothing to mark
    assert best_sentence("One sentence about Syria.", "Syria") is None  # nothing to choose between


def test_highlight_marks_words_and_longer_forms() -> None:
    styled = highlight("Syrian refugees reached Syria.", "Syria refugee")
    marked = {styled.plain[span.start : span.end] for span in styled.spans}
    assert marked == {"Syrian", "refugees", "Syria"}


def test_exportable_only_for_supported_local_models(tmp_path: Path) -> None:
    assert not exportable(str(tmp_path / "missing"))
    (tmp_path / "modules.json").write_text(
        json.dumps(
            [
                {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            ]
        )
    )
    (tmp_path / "tokenizer.json").write_text("{}")
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_max_tokens": True}))
    assert not exportable(str(tmp_path))  # max pooling is not exported
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_mean_tokens": True}))
    assert exportable(str(tmp_path))
