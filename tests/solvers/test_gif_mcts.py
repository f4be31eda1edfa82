"""GIF-MCTS rule by rule, with scripted LLMs whose programs have known accuracies.

Every expected action sequence below was worked out by hand from the rules in
`cwmb/solvers/gif_mcts.py` (R1-R7); the comments show the numbers that decide each step.
"""

import json
import math
import re
from pathlib import Path

import pytest

from cwmb.solvers.gif_mcts import GIFMCTS, GIFMCTSConfig, continue_program, first_lines, uct
from cwmb.solvers.llm.base import SamplingParams
from cwmb.solvers.llm.scripted import ScriptedBackend
from cwmb.solvers.llm.transcript import RecordingLLM
from tests.solvers.helpers import TASK, FakeScorer, answer, program, prompt_kind, scripted_programs

PAPER_RESULTS = Path(__file__).resolve().parents[3] / "shared" / "paper_results.json"


def make_search(script, budget, **config):
    backend = ScriptedBackend(script)
    llm = RecordingLLM(backend, SamplingParams(seed=0))
    scorer = FakeScorer()
    search = GIFMCTS(TASK, llm, scorer, GIFMCTSConfig(budget=budget, **config))
    return search, backend, scorer


def parents(search):
    return [search.nodes[step.node].parent.id for step in search.steps]


# -- R1: UCT with C = 0.1, eps = 1 --------------------------------------------------------------


def test_uct_formula():
    assert uct(0.5, 1, 0, 0.1, 1.0) == 0.5  # ln 1 = 0: no exploration bonus yet
    assert uct(0.2, 2, 1, 0.1, 1.0) == pytest.approx(0.2 + 0.1 * math.sqrt(math.log(2) / 2))
    assert uct(0.3, 0, 0, 0.1, 1.0) == 0.3  # before the first visit ln N is taken as 0
    # eps keeps an unvisited action finite and gives it the largest bonus
    assert uct(0.0, 5, 0, 0.1, 1.0) == pytest.approx(0.1 * math.sqrt(math.log(5)))


def test_config_defaults_are_the_papers():
    if not PAPER_RESULTS.is_file():
        pytest.skip(f"{PAPER_RESULTS} not present")
    paper = json.loads(PAPER_RESULTS.read_text())["gif_mcts_settings_paper"]
    config = GIFMCTSConfig()
    assert config.lines_per_generate == paper["lines_per_generate_node"]
    assert config.ucb_c == paper["ucb_c"]
    assert config.eps == paper["eps"]
    assert config.discount == paper["discount"]
    assert {a: config.prior(a) for a in ("generate", "improve", "fix")} == paper["prior_value"]
    assert config.prior_count == paper["prior_count"]
    assert config.max_fix_chain == paper["max_fix_chain"]


def test_selection_descends_to_the_better_child_and_prefers_improve_prior():
    # call 1: root allows generate only -> G1 (0.2); v(generate) = (0.5*2 + 0.2)/3 = 0.4
    # call 2: root N=1, ln 1 = 0: G1 0.2 < new generate 0.4 -> G2 (0.7); v(generate) = 0.475
    # call 3: root N=2: G1 0.259, G2 0.759, new generate 0.558 -> G2;
    #         at G2: new generate 0.475 < new improve 0.55 (prior) -> improve G2
    search, _, _ = make_search(scripted_programs([0.2, 0.7, 0.5]), budget=3)
    search.run()
    assert search.actions == ["generate", "generate", "improve"]
    assert parents(search) == [0, 0, 2]


# -- R2: untried actions valued by the running mean of their type ------------------------------------


def test_action_values_start_at_the_priors_and_follow_the_running_mean():
    search, _, _ = make_search(scripted_programs([0.2, 0.7]), budget=2)
    assert [search.action_value(a) for a in ("generate", "improve", "fix")] == [0.5, 0.55, 0.5]
    search.run()
    assert search.action_value("generate") == pytest.approx((0.5 * 2 + 0.2 + 0.7) / 4)
    assert search.action_value("improve") == 0.55


@pytest.mark.parametrize(
    ("improve_accuracy", "fourth_action", "fourth_parent"),
    [
        # improve gave 0.1: v(improve) = 0.4, G2's Q = 0.4; at the root (N=3) new generate
        # 0.475 + 0.105 = 0.580 beats G2 0.474 and G1 0.274 -> a new generate at the root
        (0.1, "generate", 0),
        # improve gave 0.9: G2's Q = 0.8 -> G2 (0.874); at G2 the improved child I3 (0.959) beats
        # new improve 0.75 and new generate 0.558 -> I3, which allows improve only
        (0.9, "improve", 3),
    ],
)
def test_running_mean_of_improve_steers_the_next_call(improve_accuracy, fourth_action, fourth_parent):
    search, _, _ = make_search(scripted_programs([0.2, 0.7, improve_accuracy, 0.3]), budget=4)
    search.run()
    assert search.actions == ["generate", "generate", "improve", fourth_action]
    assert parents(search)[3] == fourth_parent


# -- R3: a generate node keeps 2 new lines; its children continue from them ------------------------


def test_first_lines_and_continue_program():
    assert first_lines("a\n\nb\nc\n", 2) == "a\n\nb\n"
    assert first_lines("a", 2) == "a\n"
    assert continue_program("", "x = 1\n") == "x = 1\n"
    # a model that repeats the prefix: the repetition is dropped
    assert continue_program("a = 1\nb = 2\n", "a = 1\nb = 2  \nc = 3\n") == "a = 1\nb = 2\nc = 3\n"
    # a model that only continues: appended
    assert continue_program("a = 1\n", "c = 3\n") == "a = 1\nc = 3\n"


def test_generate_node_keeps_two_lines_and_its_child_continues_them():
    first = program(0.8, tag="first")
    first_block = "import math\n# program first\n"
    second_new = "class Environment:\n    def __init__(self):\n        self.state = 0\n"
    second = first_block + second_new + "    def step(self, action):\n        return 0, 0.0, False\n# fake-accuracy: 0.3\n"
    # call 2: v(generate) = (1 + 0.8)/3 = 0.6 > improve prior 0.55, and G1 (0.8) beats a new
    # generate at the root (0.6): the search continues G1's code block
    search, backend, scorer = make_search([answer(first), answer(second)], budget=2)
    search.run()
    g1, g2 = search.nodes[1], search.nodes[2]
    assert search.actions == ["generate", "generate"] and g2.parent is g1
    assert g1.code == first_block and g1.program == first  # code block vs rollout
    assert first_block in backend.calls[1][-1]["content"]  # the prompt shows the prefix to continue
    assert g2.program == second and g2.program.startswith(g1.code)
    assert g2.code == first_block + "class Environment:\n    def __init__(self):\n"
    assert [source for source, _ in scorer.calls] == [first, second]  # the whole rollout is scored


# -- R4: improve shows one mispredicted transition ---------------------------------------------------


def test_improve_prompt_has_one_misprediction_and_asks_for_an_explanation():
    search, backend, _ = make_search(scripted_programs([0.2, 0.7, 0.5]), budget=3)
    search.run()
    prompt = backend.calls[2][-1]["content"]
    assert prompt_kind(backend.calls[2]) == "improve"
    assert sum(f"transition {i}:" in prompt for i in range(3)) == 1
    assert "First explain" in prompt and program(0.7, tag="call2") in prompt


def test_the_same_seed_draws_the_same_misprediction():
    prompts = []
    for _ in range(2):
        search, backend, _ = make_search(scripted_programs([0.2, 0.7, 0.5]), budget=3, seed=7)
        search.run()
        prompts.append(backend.calls[2][-1]["content"])
    assert prompts[0] == prompts[1]


# -- R5: fix, chained up to 3 times with decreasing temporary values -----------------------------------


def test_a_program_that_raises_is_fixed_then_the_search_moves_on():
    # call 1: G1 raises (accuracy 0): temporary value T0 = v(fix) * 3/3 = 0.5; v(generate) = 1/3
    # call 2: root: G1 0.5 > new generate 0.333 -> G1, whose only action is fix -> F2 raises too:
    #         G1 counts its real 0 now, F2 carries T1 = v(fix) * 2/3 = (1/3)(2/3)
    # call 3: root N=2: G1 Q 0.111 + 0.048 < new generate 0.333 + 0.083 -> generate
    temporary = []
    search, backend, _ = make_search(scripted_programs([(0.0, True)] * 3), budget=3)
    search.run(progress=lambda step: temporary.append([n.temporary_value for n in search.nodes[1:]]))
    assert search.actions == ["generate", "fix", "generate"]
    assert temporary[0] == [0.5]
    assert temporary[1][0] is None and temporary[1][1] == pytest.approx((1 / 3) * (2 / 3))
    assert prompt_kind(backend.calls[1]) == "fix"
    assert "ZeroDivisionError: division by zero" in backend.calls[1][-1]["content"]
    assert "return 1 / 0" in backend.calls[1][-1]["content"]  # the offending line


def test_fix_chain_stops_after_three_fixes():
    # With generate made unattractive (prior 0) and fix attractive (prior 1), the chain goes on as
    # long as it may: G1 -> F2 -> F3 -> F4 and F4 (3 fixes) may not be fixed again.
    temporary = {}
    search, _, _ = make_search(
        scripted_programs([(0.0, True)] * 6), budget=6, prior_generate=0.0, prior_fix=1.0, ucb_c=0.01
    )
    search.run(progress=lambda step: temporary.setdefault(step.node, search.nodes[step.node].temporary_value))
    assert search.actions == ["generate", "fix", "fix", "fix", "generate", "fix"]
    assert parents(search) == [0, 1, 2, 3, 0, 5]
    chain = [temporary[i] for i in (1, 2, 3)]
    assert chain == pytest.approx([1.0, (2 / 3) * (2 / 3), (2 / 4) * (1 / 3)])  # decreasing
    f4 = search.nodes[4]
    assert f4.fix_depth == 3 and f4.temporary_value is None and search.allowed_actions(f4) == ()
    assert not search.is_open(search.nodes[1])


def test_a_fixed_program_is_improved_next():
    # call 3: G1 Q (0 + 0.8)/2 = 0.4 (+0.048) beats new generate 0.333 (+0.083) -> G1, which has its
    # fix already -> F2, a complete bug-free program: improve
    search, _, _ = make_search(scripted_programs([(0.0, True), 0.8, 0.9]), budget=3)
    search.run()
    assert search.actions == ["generate", "fix", "improve"]
    assert parents(search) == [0, 1, 2]


def test_load_failure_is_shown_to_fix():
    def script(messages, number):
        if number == 0:
            return answer(program(0.0, load_error=True))
        return answer(program(0.5, tag=f"call{number + 1}"))

    search, backend, _ = make_search(script, budget=2)
    search.run()
    assert search.actions == ["generate", "fix"]
    assert "syntax error: SyntaxError: invalid syntax" in backend.calls[1][-1]["content"]


# -- R6: values come from the scorer, never from running the program here --------------------------


def test_programs_are_never_executed_in_the_solver_process(tmp_path):
    marker = tmp_path / "executed"
    # Before the class: code after it that calls functions is a usage example the extraction drops.
    side_effect = f"open({str(marker)!r}, 'w').write('ran')\nraise SystemExit('executed')\n"

    def script(messages, number):
        return answer(side_effect + program(0.3, tag=f"call{number + 1}"))

    search, _, scorer = make_search(script, budget=3)
    result = search.run()
    assert not marker.exists()
    assert len(scorer.calls) == 3 and all(env_id == "Taxi-v4" for _, env_id in scorer.calls)
    assert result.accuracy == 0.3


def test_solver_code_never_executes_programs():
    source = "\n".join(p.read_text() for p in (Path(__file__).parents[2] / "cwmb" / "solvers").rglob("*.py"))
    assert not re.search(r"(?<![\w.])(exec|eval|compile|__import__)\(|\brunpy\b", source)


# -- R7: budget in LLM calls, early stop at 1.0, the best program -----------------------------------


def test_budget_is_the_number_of_llm_calls():
    search, backend, _ = make_search(scripted_programs([0.3] * 7), budget=7)
    result = search.run()
    assert result.calls == 7 == len(backend.calls) == len(result.steps)
    assert len(result.tree["nodes"]) == 8  # the root and one node per call


def test_stops_early_at_accuracy_one():
    search, backend, _ = make_search(scripted_programs([0.2, 1.0, 0.5, 0.5]), budget=10)
    result = search.run()
    assert result.calls == 2 == len(backend.calls)
    assert result.accuracy == 1.0 and result.program == search.nodes[2].program


def test_returns_the_best_program_earliest_among_ties():
    search, _, _ = make_search(scripted_programs([0.2, 0.7, 0.4, 0.7]), budget=4)
    result = search.run()
    assert result.accuracy == 0.7
    assert result.program == search.nodes[2].program and result.tree["best_node"] == 2


def test_same_seed_same_tree():
    trees = []
    for _ in range(2):
        search, _, _ = make_search(scripted_programs([0.2, 0.7, (0.1, True), 0.4, 0.6, 0.3]), budget=6)
        trees.append(json.dumps(search.run().tree, sort_keys=True))
    assert trees[0] == trees[1]


def test_repeated_identical_program_is_scored_once():
    search, _, scorer = make_search([answer(program(0.3))] * 4, budget=4)
    search.run()
    assert len(scorer.calls) < 4
