"""An API that answers 500 for odd numbers: the fuzz check must notice (test_fuzz_detects)."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/items/{n}")
def item(n: int) -> dict[str, int]:
    if n % 2:
        raise RuntimeError("boom")
    return {"n": n}
