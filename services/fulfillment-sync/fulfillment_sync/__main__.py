from fulfillment_sync.app import DEFINITION
from service_runtime import run

run(DEFINITION)
