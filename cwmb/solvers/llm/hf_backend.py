"""`hf`: local generation with Hugging Face transformers (optional: ``pip install "cwmb[hf]"``).

`transformers` and `torch` are imported when the backend is built, never at module import. The
model is loaded once from the Hub cache or a local folder; nothing is downloaded unless the
weights are missing from the cache and the Hub is reachable.
"""

from __future__ import annotations

from cwmb.solvers.llm.base import BackendNotConfigured, Completion, LLMBackend, Message, SamplingParams, request_seed


class HFBackend(LLMBackend):
    """Chat generation with a transformers causal LM and its chat template.

    Args:
        model: Hub id or local folder of an instruction-tuned model with a chat template.
        device_map: passed to ``from_pretrained`` (e.g. ``"auto"``, needs `accelerate`); None: CPU.
        torch_dtype: passed to ``from_pretrained`` (``"auto"`` keeps the checkpoint's dtype).
    """

    name = "hf"

    def __init__(self, model: str, *, device_map: str | None = None, torch_dtype: str = "auto"):
        try:
            import torch
            import transformers
        except ImportError:
            raise BackendNotConfigured(
                'the hf backend needs transformers and torch: pip install "cwmb[hf]"'
            ) from None
        self._torch = torch
        self.model = model
        self._tokenizer = transformers.AutoTokenizer.from_pretrained(model)
        kwargs = {"torch_dtype": torch_dtype}
        if device_map is not None:
            kwargs["device_map"] = device_map
        self._model = transformers.AutoModelForCausalLM.from_pretrained(model, **kwargs)

    def complete(self, messages: list[Message], params: SamplingParams, *, sample_index: int = 0) -> Completion:
        torch = self._torch
        inputs = self._tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        ).to(self._model.device)
        # `generate` samples from torch's global generator; seed it per call so that a request
        # (seed, sample index) always gets the same sample.
        torch.manual_seed(request_seed(params.seed or 0, sample_index))
        sampling = params.temperature > 0
        output = self._model.generate(
            **inputs,
            do_sample=sampling,
            temperature=params.temperature if sampling else None,
            top_p=params.top_p if sampling else None,
            max_new_tokens=params.max_tokens,
        )
        prompt_length = inputs["input_ids"].shape[1]
        new_tokens = output[0, prompt_length:]
        text = self._tokenizer.decode(new_tokens, skip_special_tokens=True)
        finish = "length" if len(new_tokens) >= params.max_tokens else "stop"
        return Completion(text, self.model, int(prompt_length), int(len(new_tokens)), finish)
