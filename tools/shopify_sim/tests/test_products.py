"""Product and variant mutations with their userErrors and products/* webhooks; catalog reads."""

from __future__ import annotations

import json

from shopify_admin.webhooks import verify

CREATE = """mutation($product: ProductCreateInput!, $media: [CreateMediaInput!]) {
  productCreate(product: $product, media: $media) {
    product { id title handle status variants(first: 5) { nodes { id title sku } } }
    userErrors { field message } } }"""
UPDATE = """mutation($product: ProductUpdateInput!) {
  productUpdate(product: $product) { product { id title } userErrors { field message } } }"""
DELETE = """mutation($id: ID!) {
  productDelete(input: {id: $id}) { deletedProductId userErrors { field message } } }"""
BULK_CREATE = """mutation($productId: ID!, $variants: [ProductVariantsBulkInput!]!) {
  productVariantsBulkCreate(productId: $productId, variants: $variants) {
    productVariants { id title sku barcode } userErrors { field message code } } }"""
BULK_UPDATE = """mutation($productId: ID!, $variants: [ProductVariantsBulkInput!]!) {
  productVariantsBulkUpdate(productId: $productId, variants: $variants) {
    productVariants { id sku barcode inventoryItem { requiresShipping harmonizedSystemCode
      countryCodeOfOrigin measurement { weight { unit value } } } }
    userErrors { field message code } } }"""
BULK_DELETE = """mutation($productId: ID!, $ids: [ID!]!) {
  productVariantsBulkDelete(productId: $productId, variantsIds: $ids) {
    product { id variantsCount { count } } userErrors { field message code } } }"""
READ = """query($ids: [ID!]!) { nodes(ids: $ids) { ... on Product {
  id title handle status updatedAt featuredMedia { ... on MediaImage { image { url } } }
  variants(first: 10) { nodes { id sku barcode title updatedAt image { url }
    inventoryItem { id requiresShipping measurement { weight { unit value } }
      harmonizedSystemCode countryCodeOfOrigin }
    product { id title } } } } } }"""


async def _create(world, title="Canvas Tote"):
    body = await world.gql(
        CREATE,
        {
            "product": {"title": title},
            "media": [
                {"originalSource": "https://cdn.example.com/tote.jpg", "mediaContentType": "IMAGE"}
            ],
        },
    )
    return body["data"]["productCreate"]


async def test_product_create_has_a_default_variant_and_raises_products_create(world, receiver):
    await world.subscribe(receiver.url, "PRODUCTS_CREATE")
    created = await _create(world)
    assert created["userErrors"] == []
    product = created["product"]
    assert product["handle"] == "canvas-tote" and product["status"] == "ACTIVE"
    assert [v["title"] for v in product["variants"]["nodes"]] == ["Default Title"]
    assert (await _create(world))["product"]["handle"] == "canvas-tote-1"
    blank = (await world.gql(CREATE, {"product": {"title": ""}}))["data"]["productCreate"]
    assert blank["userErrors"] == [{"field": ["title"], "message": "Title can't be blank"}]
    await world.sim.simulator.dispatcher.drain()
    headers, raw = receiver.received[0]
    assert headers["X-Shopify-Topic"] == "products/create"
    assert verify(raw, headers["X-Shopify-Hmac-Sha256"], [world.secret])
    payload = json.loads(raw)
    assert payload["admin_graphql_api_id"] == product["id"]
    assert payload["variants"][0]["sku"] is None
    assert payload["image"]["src"] == "https://cdn.example.com/tote.jpg"


async def test_variants_bulk_create_update_delete_raise_products_update(world, receiver):
    product = (await _create(world))["product"]
    await world.subscribe(receiver.url, "PRODUCTS_UPDATE")
    variants = [
        {
            "optionValues": [{"optionName": "Title", "name": "Red"}],
            "inventoryItem": {"sku": "TOTE-RED"},
            "barcode": "4006381333931",
            "price": "12.00",
        },
        {
            "optionValues": [{"optionName": "Title", "name": "Blue"}],
            "inventoryItem": {"sku": "TOTE-BLUE"},
        },
    ]
    created = await world.gql(BULK_CREATE, {"productId": product["id"], "variants": variants})
    created = created["data"]["productVariantsBulkCreate"]
    assert created["userErrors"] == []
    red, blue = created["productVariants"]
    assert red["sku"] == "TOTE-RED" and red["barcode"] == "4006381333931"
    again = await world.gql(BULK_CREATE, {"productId": product["id"], "variants": variants[:1]})
    assert (
        again["data"]["productVariantsBulkCreate"]["userErrors"][0]["code"]
        == "VARIANT_ALREADY_EXISTS"
    )
    # The standalone default variant made way for the real ones.
    assert [v.sku for v in world.shop.variants_of(int(product["id"].rsplit("/", 1)[1]))] == [
        "TOTE-RED",
        "TOTE-BLUE",
    ]

    update = [
        {
            "id": red["id"],
            "barcode": "4006381333948",
            "inventoryItem": {
                "sku": "TOTE-RED-2",
                "requiresShipping": False,
                "harmonizedSystemCode": "420292",
                "countryCodeOfOrigin": "PT",
                "measurement": {"weight": {"value": 1.5, "unit": "POUNDS"}},
            },
        }
    ]
    updated = await world.gql(BULK_UPDATE, {"productId": product["id"], "variants": update})
    updated = updated["data"]["productVariantsBulkUpdate"]
    assert updated["userErrors"] == []
    variant = updated["productVariants"][0]
    assert variant["sku"] == "TOTE-RED-2" and variant["barcode"] == "4006381333948"
    assert variant["inventoryItem"] == {
        "requiresShipping": False,
        "harmonizedSystemCode": "420292",
        "countryCodeOfOrigin": "PT",
        "measurement": {"weight": {"unit": "POUNDS", "value": 1.5}},
    }
    assert "TOTE-RED" not in world.shop.variants_by_sku
    assert world.shop.variants_by_sku["TOTE-RED-2"].grams == 680

    bad = [{"id": "gid://shopify/ProductVariant/1", "barcode": "x"}]
    refused = await world.gql(BULK_UPDATE, {"productId": product["id"], "variants": bad})
    assert refused["data"]["productVariantsBulkUpdate"]["userErrors"] == [
        {
            "field": ["variants", "0", "id"],
            "message": "Product variant does not exist",
            "code": "PRODUCT_VARIANT_DOES_NOT_EXIST",
        }
    ]
    missing = await world.gql(
        BULK_UPDATE, {"productId": "gid://shopify/Product/1", "variants": update}
    )
    assert (
        missing["data"]["productVariantsBulkUpdate"]["userErrors"][0]["code"]
        == "PRODUCT_DOES_NOT_EXIST"
    )

    deleted = await world.gql(BULK_DELETE, {"productId": product["id"], "ids": [blue["id"]]})
    deleted = deleted["data"]["productVariantsBulkDelete"]
    assert deleted["userErrors"] == [] and deleted["product"]["variantsCount"]["count"] == 1
    last = await world.gql(BULK_DELETE, {"productId": product["id"], "ids": [red["id"]]})
    assert (
        last["data"]["productVariantsBulkDelete"]["userErrors"][0]["code"]
        == "CANNOT_DELETE_LAST_VARIANT"
    )

    await world.sim.simulator.dispatcher.drain()
    bodies = receiver.bodies("products/update")
    assert len(bodies) == 3  # create, update, delete of variants
    assert [v["sku"] for v in bodies[0]["variants"]] == ["TOTE-RED", "TOTE-BLUE"]
    assert [v["sku"] for v in bodies[1]["variants"]] == ["TOTE-RED-2", "TOTE-BLUE"]
    assert bodies[1]["variants"][0]["barcode"] == "4006381333948"
    assert [v["sku"] for v in bodies[2]["variants"]] == ["TOTE-RED-2"]


async def test_product_update_and_delete(world, receiver):
    product = (await _create(world))["product"]
    await world.subscribe(receiver.url, "PRODUCTS_UPDATE", "PRODUCTS_DELETE")
    renamed = await world.gql(UPDATE, {"product": {"id": product["id"], "title": "Big Tote"}})
    assert renamed["data"]["productUpdate"] == {
        "product": {"id": product["id"], "title": "Big Tote"},
        "userErrors": [],
    }
    unknown = await world.gql(UPDATE, {"product": {"id": "gid://shopify/Product/1", "title": "x"}})
    assert unknown["data"]["productUpdate"]["userErrors"] == [
        {"field": ["id"], "message": "Product does not exist"}
    ]
    gone = await world.gql(DELETE, {"id": product["id"]})
    assert gone["data"]["productDelete"] == {"deletedProductId": product["id"], "userErrors": []}
    again = await world.gql(DELETE, {"id": product["id"]})
    assert again["data"]["productDelete"]["userErrors"] == [
        {"field": ["id"], "message": "Product does not exist"}
    ]
    read = await world.gql(READ, {"ids": [product["id"]]})
    assert read["data"]["nodes"] == [None]
    await world.sim.simulator.dispatcher.drain()
    assert receiver.bodies("products/update")[0]["title"] == "Big Tote"
    number = int(product["id"].rsplit("/", 1)[1])
    assert receiver.bodies("products/delete") == [{"id": number}]


async def test_catalog_reads_product_and_variant_fields(world):
    await world.sim.seed(world.domain, products=2, variants_per_product=2, details=True)
    variant = next(v for v in world.shop.variants.values() if v.barcode)
    product_gid = f"gid://shopify/Product/{variant.product_id}"
    body = await world.gql(READ, {"ids": [product_gid]})
    product = body["data"]["nodes"][0]
    assert product["featuredMedia"]["image"]["url"].endswith(".jpg")
    first = product["variants"]["nodes"][0]
    assert first["barcode"] and len(first["barcode"]) == 13
    item = first["inventoryItem"]
    assert item["harmonizedSystemCode"] and item["countryCodeOfOrigin"]
    assert item["measurement"]["weight"]["unit"] in ("GRAMS", "KILOGRAMS", "OUNCES", "POUNDS")
    assert first["product"] == {"id": product_gid, "title": product["title"]}
    page = await world.gql(
        "query($q: String) { productVariants(first: 250, query: $q) { nodes { sku } } }",
        {"q": f"sku:{variant.sku}"},
    )
    assert page["data"]["productVariants"]["nodes"] == [{"sku": variant.sku}]
