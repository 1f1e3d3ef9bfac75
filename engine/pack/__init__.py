"""Rule packs: the file format, reading and validating the files, and compiling them into a Pack.

spec         pydantic models of the pack files (the file format, and its JSON Schema)
yamlfile     safe YAML loading that keeps lines and columns
loader       reading files into specs, with located, coded diagnostics; the pack's digest
tables       reference tables (CSV rows, YAML sets)
lookups      indexed lookups into tables
names        what names mean: transaction fields, values (in dependency order), tables
conditions   `when` trees -> closures, condition slots and the evaluation plan
templates    message templates, checked at load
model        the compiled Pack, CompiledRule, ValueDef, Leaf, Template
compiler     compile_pack: the named stages over one state
"""

from engine.pack.compiler import STAGES, compile_pack
from engine.pack.model import CompiledRule, Pack

__all__ = ["STAGES", "CompiledRule", "Pack", "compile_pack"]
