from service_runtime import run
from webhook_gateway.app import DEFINITION

run(DEFINITION)
