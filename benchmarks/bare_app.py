"""A bare FastAPI app that returns a constant: the framework's own cost, beside clearance's (api_bench)."""

from fastapi import FastAPI

app = FastAPI()


@app.post("/v1/decisions")
async def constant() -> dict[str, str]:
    return {"decision": "allow"}
