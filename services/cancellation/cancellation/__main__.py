from cancellation.app import DEFINITION
from service_runtime import run

run(DEFINITION)
