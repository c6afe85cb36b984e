"""msgrspec: the Windows Messenger session API (Messenger Private type library) as data."""
from .errors import Location, Problem, SpecError
from .loader import load_spec
from .model import Spec

__all__ = ["Location", "Problem", "Spec", "SpecError", "load_spec"]
__version__ = "0.1.0"
