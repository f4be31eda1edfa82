"""Per-environment call times from a transcript (`python -m cwmb.solvers.timing`)."""

from cwmb.solvers.llm.transcript import append_record
from cwmb.solvers.timing import call_times, format_table, main


def record(env_id, latency, prompt, completion, key):
    return {"key": key, "completion": "x", "env_id": env_id, "latency_s": latency,
            "prompt_tokens": prompt, "completion_tokens": completion}


def test_call_times_per_env_and_overall(tmp_path):
    path = tmp_path / "transcript.jsonl"
    for r in [record("CartPole-v1", 100.0, 1000, 500, "a"), record("CartPole-v1", 60.0, 2000, 300, "b"),
              record("Taxi-v4", 40.0, 900, 200, "c")]:
        append_record(path, r)
    groups = call_times(path)
    cartpole, overall = groups["CartPole-v1"], groups["all"]
    assert (cartpole.calls, cartpole.seconds, cartpole.prompt_tokens, cartpole.completion_tokens) == (2, 160.0, 3000, 800)
    assert cartpole.seconds_per_call == 80.0 and cartpole.completion_tokens_per_second == 5.0
    assert (overall.calls, overall.seconds, overall.completion_tokens) == (3, 200.0, 1000)
    table = format_table(groups)
    assert "| CartPole-v1 | 2 | 160 | 80.0 | 3,000 | 800 | 5.00 |" in table
    assert table.splitlines()[-1].startswith("| all | 3 |")


def test_a_missing_transcript_is_one_line_error(tmp_path, capsys):
    assert main([str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("timing: no transcript at ") and "\n" not in err
