# The top-level folder `contracts/` (the member) has the same name as the package inside it
# (`contracts/contracts/`). In importlib mode pytest names `contracts/tests/test_x.py` as
# `contracts.tests.test_x` and would register the bare folder as a package `contracts`, hiding
# the real one. Importing the real package first settles which `contracts` the run uses.
import contracts  # noqa: F401

# The top-level folder `contracts/` (the member) has the same name as the package inside it
# (`contracts/contracts/`). In importlib mode pytest names `contracts/tests/test_x.py` as
# `contracts.tests.test_x` and would register the bare folder as a package `contracts`, hiding
# the real one. Importing the real package first settles which `contracts` the run uses.

pytest_plugins = ["shopify_sim.pytest_plugin"]
