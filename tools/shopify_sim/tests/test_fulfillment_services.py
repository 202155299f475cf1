"""fulfillmentServiceCreate / Update / Delete, the service's location and its inventory, through
the simulator's GraphQL endpoint.

Expected messages are Shopify's, recorded live on Admin GraphQL 2026-04 (shopify-draft-proxy
conformance captures fulfillment-service-*); see domain/fulfillment_services.py.
"""

from __future__ import annotations

from shopify_admin.cost import requested_query_cost
from shopify_sim.testing import OrderLine

FS_FIELDS = """id handle serviceName callbackUrl trackingSupport inventoryManagement
  requiresShippingMethod type
  location { id name isFulfillmentService fulfillsOnlineOrders shipsInventory }"""
CREATE = f"""mutation($name: String!, $callbackUrl: URL, $inv: Boolean, $track: Boolean,
    $ship: Boolean) {{
  fulfillmentServiceCreate(name: $name, callbackUrl: $callbackUrl, inventoryManagement: $inv,
      trackingSupport: $track, requiresShippingMethod: $ship) {{
    fulfillmentService {{ {FS_FIELDS} }} userErrors {{ field message }} }} }}"""
UPDATE = f"""mutation($id: ID!, $name: String, $callbackUrl: URL, $ship: Boolean) {{
  fulfillmentServiceUpdate(id: $id, name: $name, callbackUrl: $callbackUrl,
      requiresShippingMethod: $ship) {{
    fulfillmentService {{ {FS_FIELDS} }} userErrors {{ field message }} }} }}"""
UPDATE_NAME = f"""mutation($id: ID!, $name: String) {{
  fulfillmentServiceUpdate(id: $id, name: $name) {{
    fulfillmentService {{ {FS_FIELDS} }} userErrors {{ field message }} }} }}"""
DELETE = """mutation($id: ID!, $dest: ID, $action: FulfillmentServiceDeleteInventoryAction) {
  fulfillmentServiceDelete(id: $id, destinationLocationId: $dest, inventoryAction: $action) {
    deletedId userErrors { field message } } }"""
READ = f"""query($id: ID!, $loc: ID!) {{
  fulfillmentService(id: $id) {{ {FS_FIELDS} }}
  location(id: $loc) {{ id name isFulfillmentService fulfillmentService {{ id handle }}
    inventoryLevels(first: 50) {{ nodes {{ item {{ sku }}
      quantities(names: ["available", "on_hand"]) {{ name quantity }} }} }} }} }}"""
SHOP_SERVICES = f"""query {{ shop {{ fulfillmentServices {{ {FS_FIELDS} }} }} }}"""
LOCATIONS = """query($legacy: Boolean) { locations(first: 20, includeLegacy: $legacy) {
  nodes { id name isFulfillmentService } } }"""
ACTIVATE = """mutation($item: ID!, $loc: ID!, $available: Int, $onHand: Int) {
  inventoryActivate(inventoryItemId: $item, locationId: $loc, available: $available,
      onHand: $onHand) @idempotent(key: "%s") {
    inventoryLevel { id quantities(names: ["available", "on_hand"]) { name quantity } }
    userErrors { field message } } }"""
SET_QUANTITIES = """mutation($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) @idempotent(key: "%s") {
    inventoryAdjustmentGroup { id } userErrors { field message code } } }"""


async def create_service(world, name="Hermes FS", **variables):
    body = await world.gql(CREATE, {"name": name, **variables})
    payload = body["data"]["fulfillmentServiceCreate"]
    assert payload["userErrors"] == [], payload
    return payload["fulfillmentService"]


def _errors(body, root):
    return body["data"][root]["userErrors"]


async def test_create_makes_the_service_and_its_location(world):
    service = await create_service(world, "Hermes FS moeompnx", inv=True, track=True)
    # As the capture fulfillment-service-lifecycle shows it.
    assert service["id"].startswith("gid://shopify/FulfillmentService/")
    assert service["id"].endswith("?id=true")
    assert service == {
        "id": service["id"],
        "handle": "hermes-fs-moeompnx",
        "serviceName": "Hermes FS moeompnx",
        "callbackUrl": None,
        "trackingSupport": True,
        "inventoryManagement": True,
        "requiresShippingMethod": True,
        "type": "THIRD_PARTY",
        "location": {
            "id": service["location"]["id"],
            "name": "Hermes FS moeompnx",
            "isFulfillmentService": True,
            "fulfillsOnlineOrders": True,
            "shipsInventory": False,
        },
    }
    location = world.shop.locations[int(service["location"]["id"].rsplit("/", 1)[1])]
    primary = world.shop.primary_location()
    assert (location.city, location.country_code) == (primary.city, primary.country_code)

    listed = (await world.gql(SHOP_SERVICES))["data"]["shop"]["fulfillmentServices"]
    assert [s["handle"] for s in listed] == ["manual", "hermes-fs-moeompnx"]
    assert listed[0]["type"] == "MANUAL" and listed[0]["id"].endswith("/manual")
    read = (await world.gql(READ, {"id": service["id"], "loc": service["location"]["id"]}))["data"]
    assert read["fulfillmentService"] == service
    assert read["location"]["fulfillmentService"] == {
        "id": service["id"],
        "handle": "hermes-fs-moeompnx",
    }
    # A service's location is a "legacy location": listed only with includeLegacy.
    plain = (await world.gql(LOCATIONS, {"legacy": False}))["data"]["locations"]["nodes"]
    legacy = (await world.gql(LOCATIONS, {"legacy": True}))["data"]["locations"]["nodes"]
    assert service["location"]["id"] not in [n["id"] for n in plain]
    assert {
        "id": service["location"]["id"],
        "name": "Hermes FS moeompnx",
        "isFulfillmentService": True,
    } in legacy
    unknown = await world.gql(
        READ,
        {"id": "gid://shopify/FulfillmentService/999999999999", "loc": "gid://shopify/Location/1"},
    )
    assert unknown["data"] == {"fulfillmentService": None, "location": None}
    state = await world.sim.state(world.domain, "fulfillment_services")
    assert state[0]["owner"] == "app" and state[0]["handle"] == "hermes-fs-moeompnx"


async def test_create_user_errors(world):
    both = await world.gql(CREATE, {"name": "", "callbackUrl": "ftp://mock.shop/cb"})
    assert _errors(both, "fulfillmentServiceCreate") == [
        {"field": ["name"], "message": "Name can't be blank"},
        {"field": ["callbackUrl"], "message": "Callback url protocol ftp:// is not supported"},
    ]
    assert both["data"]["fulfillmentServiceCreate"]["fulfillmentService"] is None
    spaced = await world.gql(CREATE, {"name": "  FS Whitespace  "})
    assert _errors(spaced, "fulfillmentServiceCreate") == [
        {"field": ["name"], "message": "Name cannot begin with a whitespace character"},
        {"field": ["name"], "message": "Name cannot end with a whitespace character"},
    ]
    for reserved in ("Manual", "Gift_Card", "Shopify", "Amazon"):
        body = await world.gql(CREATE, {"name": reserved})
        assert _errors(body, "fulfillmentServiceCreate") == [
            {"field": ["name"], "message": "Name is reserved"}
        ]
    odd = await create_service(world, "FS Unique Café__3PL x1!!!")
    assert odd["handle"] == "fs-unique-cafe__3pl-x1"
    await create_service(world, "FS Unique Acme")
    for taken in ("FS Unique Acme", "FS UNIQUE ACME", "fs-unique-acme"):
        body = await world.gql(CREATE, {"name": taken})
        assert _errors(body, "fulfillmentServiceCreate") == [
            {"field": ["name"], "message": "Name has already been taken"}
        ]
    # Callback hosts: Shopify allows only the app's own; the simulator lets a test say which.
    await world.sim.settings(world.domain, callback_url_hosts=["mock.shop"])
    refused = await world.gql(CREATE, {"name": "Elsewhere", "callbackUrl": "https://example.com/x"})
    assert _errors(refused, "fulfillmentServiceCreate") == [
        {"field": ["callbackUrl"], "message": "Callback url is not allowed"}
    ]
    allowed = await create_service(world, "Mock", callbackUrl="http://api.mock.shop/cb")
    assert allowed["callbackUrl"] == "http://api.mock.shop/cb"
    assert allowed["requiresShippingMethod"] is True  # the argument's default


async def test_update_renames_the_location_but_keeps_the_handle(world):
    service = await create_service(world, "Hermes FS", ship=False)
    assert service["requiresShippingMethod"] is False
    body = await world.gql(UPDATE_NAME, {"id": service["id"], "name": "Hermes FS Updated"})
    updated = body["data"]["fulfillmentServiceUpdate"]["fulfillmentService"]
    assert updated["serviceName"] == "Hermes FS Updated"
    assert updated["location"]["name"] == "Hermes FS Updated"
    assert updated["handle"] == "hermes-fs"
    # requiresShippingMethod defaults to true, so an update that omits it resets it (capture).
    assert updated["requiresShippingMethod"] is True

    other = await create_service(world, "Other FS")
    taken = await world.gql(UPDATE_NAME, {"id": other["id"], "name": "Hermes FS Updated"})
    assert _errors(taken, "fulfillmentServiceUpdate") == [
        {"field": ["name"], "message": "Name has already been taken"}
    ]
    protocol = await world.gql(UPDATE, {"id": other["id"], "callbackUrl": "ftp://mock.shop/x"})
    assert _errors(protocol, "fulfillmentServiceUpdate") == [
        {"field": ["callbackUrl"], "message": "Callback url protocol ftp:// is not supported"}
    ]
    callback = await world.gql(UPDATE, {"id": other["id"], "callbackUrl": "https://mock.shop/y"})
    assert callback["data"]["fulfillmentServiceUpdate"]["fulfillmentService"]["callbackUrl"] == (
        "https://mock.shop/y"
    )
    for unknown in ("gid://shopify/FulfillmentService/999999999999", "gid://shopify/Order/1"):
        body = await world.gql(UPDATE_NAME, {"id": unknown, "name": "Nope"})
        assert body["data"]["fulfillmentServiceUpdate"] == {
            "fulfillmentService": None,
            "userErrors": [{"field": ["id"], "message": "Fulfillment service could not be found."}],
        }
    # Another app's service is not the caller's to change.
    theirs = await world.sim.run_as_storefront(world.domain, CREATE, {"name": "Their FS"})
    their_id = theirs["data"]["fulfillmentServiceCreate"]["fulfillmentService"]["id"]
    refused = await world.gql(UPDATE_NAME, {"id": their_id, "name": "Mine now"})
    assert _errors(refused, "fulfillmentServiceUpdate")[0]["message"] == (
        "Fulfillment service could not be found."
    )


async def test_delete_keep_transfer_delete_and_their_user_errors(world):
    east = world.location_gid("Warehouse East")
    item = world.item_gid("SKU-00001")

    async def stocked_service(name):
        service = await create_service(world, name)
        body = await world.gql(
            ACTIVATE % f"act-{name}",
            {"item": item, "loc": service["location"]["id"], "available": 7},
        )
        assert _errors(body, "inventoryActivate") == []
        return service

    keep = await stocked_service("Keep FS")
    for action in ("KEEP", "DELETE"):
        body = await world.gql(DELETE, {"id": keep["id"], "dest": east, "action": action})
        assert body["data"]["fulfillmentServiceDelete"] == {
            "deletedId": None,
            "userErrors": [
                {
                    "field": ["inventoryAction"],
                    "message": "Inventory action Destination location id should not be present "
                    "when deleting/keeping the inventory of the fulfillment service.",
                }
            ],
        }
    for dest in ("gid://shopify/Location/999999999", None, keep["location"]["id"]):
        body = await world.gql(DELETE, {"id": keep["id"], "dest": dest, "action": "TRANSFER"})
        assert body["data"]["fulfillmentServiceDelete"] == {
            "deletedId": None,
            "userErrors": [{"field": None, "message": "Invalid destination location."}],
        }
    kept = await world.gql(DELETE, {"id": keep["id"], "action": "KEEP"})
    number = keep["id"].split("?")[0]
    assert kept["data"]["fulfillmentServiceDelete"] == {"deletedId": number, "userErrors": []}
    read = (await world.gql(READ, {"id": keep["id"], "loc": keep["location"]["id"]}))["data"]
    assert read["fulfillmentService"] is None
    # "convert the Fulfillment Service's location to be merchant managed", stock in place
    assert read["location"]["isFulfillmentService"] is False
    assert read["location"]["fulfillmentService"] is None
    assert read["location"]["inventoryLevels"]["nodes"][0]["quantities"][0]["quantity"] == 7

    transfer = await stocked_service("Transfer FS")
    before = world.level("SKU-00001", "Warehouse East")["available"]
    moved = await world.gql(DELETE, {"id": transfer["id"], "dest": east})  # TRANSFER: default
    assert moved["data"]["fulfillmentServiceDelete"]["userErrors"] == []
    assert world.level("SKU-00001", "Warehouse East")["available"] == before + 7
    read = await world.gql(READ, {"id": transfer["id"], "loc": transfer["location"]["id"]})
    assert read["data"] == {"fulfillmentService": None, "location": None}

    deleted = await stocked_service("Delete FS")
    gone = await world.gql(DELETE, {"id": deleted["id"], "action": "DELETE"})
    assert gone["data"]["fulfillmentServiceDelete"]["userErrors"] == []
    read = await world.gql(READ, {"id": deleted["id"], "loc": deleted["location"]["id"]})
    assert read["data"] == {"fulfillmentService": None, "location": None}
    assert not list(world.shop.levels_at(int(deleted["location"]["id"].rsplit("/", 1)[1])))
    again = await world.gql(DELETE, {"id": deleted["id"], "action": "DELETE"})
    assert again["data"]["fulfillmentServiceDelete"] == {
        "deletedId": None,
        "userErrors": [{"field": ["id"], "message": "Fulfillment service could not be found."}],
    }


async def test_a_lost_create_answer_leaves_the_service_created(world):
    """The fault the lost-answer setting injects applies to mutations: the service exists though
    the client saw a 504, and creating it again is refused as a taken name."""
    url, headers = world.sim.graphql_url(), {"X-Shopify-Access-Token": world.token}
    await world.sim.admin("POST", "/faults", {"lost_answer_fraction": 1.0})
    payload = {"query": CREATE, "variables": {"name": "Lost FS"}}
    async with world.sim.session.post(url, json=payload, headers=headers) as response:
        assert response.status == 504
    await world.sim.admin("DELETE", "/faults")
    listed = (await world.gql(SHOP_SERVICES))["data"]["shop"]["fulfillmentServices"]
    assert [s["serviceName"] for s in listed] == ["Manual", "Lost FS"]
    again = await world.gql(CREATE, {"name": "Lost FS"})
    assert _errors(again, "fulfillmentServiceCreate") == [
        {"field": ["name"], "message": "Name has already been taken"}
    ]


async def test_inventory_activate_stocks_the_service_location_for_order_routing(world):
    service = await create_service(world, "Stocked FS")
    location = service["location"]["id"]
    item = world.item_gid("SKU-00002")
    missing_key = await world.gql(
        ACTIVATE.replace(' @idempotent(key: "%s")', ""), {"item": item, "loc": location}
    )
    assert missing_key["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    both = await world.gql(
        ACTIVATE % "k0", {"item": item, "loc": location, "available": 1, "onHand": 2}
    )
    prefix = "The product couldn't be stocked at Stocked FS because"
    assert both["data"]["inventoryActivate"] == {
        "inventoryLevel": None,
        "userErrors": [
            {
                "field": ["available"],
                "message": f"{prefix} not allowed to set available and "
                "on_hand quantities at the same time.",
            },
            {
                "field": ["onHand"],
                "message": f"{prefix} not allowed to set available and "
                "on_hand quantities at the same time.",
            },
        ],
    }
    nowhere = await world.gql(
        ACTIVATE % "k1", {"item": item, "loc": "gid://shopify/Location/1", "available": 1}
    )
    assert _errors(nowhere, "inventoryActivate") == [
        {
            "field": ["locationId"],
            "message": "The product couldn't be stocked because the location wasn't found.",
        }
    ]
    done = await world.gql(ACTIVATE % "k2", {"item": item, "loc": location, "available": 50})
    level = done["data"]["inventoryActivate"]["inventoryLevel"]
    assert level["quantities"] == [
        {"name": "available", "quantity": 50},
        {"name": "on_hand", "quantity": 50},
    ]
    replay = await world.gql(ACTIVATE % "k2", {"item": item, "loc": location, "available": 50})
    assert replay["data"] == done["data"]
    again = await world.gql(ACTIVATE % "k3", {"item": item, "loc": location, "available": 5})
    assert again["data"]["inventoryActivate"]["inventoryLevel"]["id"] == level["id"]
    assert _errors(again, "inventoryActivate") == [
        {
            "field": ["available"],
            "message": "Not allowed to set available quantity when the item "
            "is already active at the location.",
        }
    ]
    # The merchant-managed locations hold 10 each: 12 units can only come from the service.
    line: OrderLine = ("SKU-00002", 12)
    order = await world.sim.create_order(world.domain, [line])
    fo_id = world.shop.orders[int(order["id"].rsplit("/", 1)[1])].fulfillment_order_ids[0]
    assert world.shop.fulfillment_orders[fo_id].location_id == int(location.rsplit("/", 1)[1])


async def test_set_quantities_at_a_service_location_needs_inventory_management(world):
    unmanaged = await create_service(world, "Unmanaged FS", inv=False)
    managed = await create_service(world, "Managed FS", inv=True)
    item = world.item_gid("SKU-00003")
    for service in (unmanaged, managed):
        await world.sim.stock(world.domain, service["location"]["id"], 5, skus=["SKU-00003"])

    def quantities(service):
        entry = {
            "inventoryItemId": item,
            "locationId": service["location"]["id"],
            "quantity": 9,
            "changeFromQuantity": None,
        }
        return {"input": {"name": "available", "reason": "correction", "quantities": [entry]}}

    refused = await world.gql(SET_QUANTITIES % "s1", quantities(unmanaged))
    assert _errors(refused, "inventorySetQuantities") == [
        {
            "field": ["input", "quantities", "0", "locationId"],
            "message": "The specified location belongs to a fulfillment service that does not "
            "manage inventory.",
            "code": "INVALID_LOCATION",
        }
    ]
    accepted = await world.gql(SET_QUANTITIES % "s2", quantities(managed))
    assert _errors(accepted, "inventorySetQuantities") == []
    assert world.level("SKU-00003", "Managed FS")["available"] == 9


async def test_costs_of_the_new_operations(world, schema_runtime):
    """Requested costs as Shopify charges them; the figures in comments are Shopify's own for the
    same documents (captures fulfillment-service-callback-url-update-protocol-validation,
    fulfillment-top-level-reads, query-costs.jsonl)."""
    await create_service(world, "Costly FS")
    create = """mutation FulfillmentServiceCallbackUrlUpdateProtocolCreate($name: String!,
        $callbackUrl: URL!) {
      fulfillmentServiceCreate(name: $name, callbackUrl: $callbackUrl, trackingSupport: false,
          inventoryManagement: false, requiresShippingMethod: false) {
        fulfillmentService { id handle serviceName callbackUrl trackingSupport
          inventoryManagement requiresShippingMethod type
          location { id name isFulfillmentService fulfillsOnlineOrders shipsInventory } }
        userErrors { field message } } }"""
    assigned = """query AssignedFulfillmentOrdersAccess($first: Int!) {
      assignedFulfillmentOrders(first: $first, assignmentStatus: FULFILLMENT_REQUESTED,
        sortKey: ID) { nodes { id status requestStatus assignedLocation { name } }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""
    for query, variables, shopify in (
        (create, {"name": "Cost FS", "callbackUrl": "https://mock.shop/cb"}, 11),
        (assigned, {"first": 5}, 8),
        (SHOP_SERVICES, {}, None),
        (DELETE, {"id": "gid://shopify/FulfillmentService/1"}, 10),
    ):
        body = await world.gql(query, variables)
        reported = body["extensions"]["cost"]["requestedQueryCost"]
        assert reported == requested_query_cost(schema_runtime.schema, query, variables)
        if shopify is not None:
            assert reported == shopify
