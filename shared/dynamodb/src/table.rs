use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, TimeToLiveSpecification,
};

/// Creates the table as `template.yaml` declares it, for the local server (`CREATE_TABLE=1`) and
/// tests. An existing table is left as it is.
pub async fn create_table(client: &Client, name: &str) -> Result<(), aws_sdk_dynamodb::Error> {
    let attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .expect("attribute definitions are complete")
    };
    let key = |name: &str, key_type: KeyType| {
        KeySchemaElement::builder().attribute_name(name).key_type(key_type).build().expect("key schema is complete")
    };
    let gsi = GlobalSecondaryIndex::builder()
        .index_name("gsi1")
        .key_schema(key("gsi1pk", KeyType::Hash))
        .key_schema(key("gsi1sk", KeyType::Range))
        .projection(Projection::builder().projection_type(ProjectionType::All).build())
        .build()
        .expect("index definition is complete");
    let by_status = GlobalSecondaryIndex::builder()
        .index_name("gsi2")
        .key_schema(key("gsi2pk", KeyType::Hash))
        .key_schema(key("gsi2sk", KeyType::Range))
        .projection(Projection::builder().projection_type(ProjectionType::All).build())
        .build()
        .expect("index definition is complete");
    let due_reminders = GlobalSecondaryIndex::builder()
        .index_name("gsi3")
        .key_schema(key("gsi3pk", KeyType::Hash))
        .key_schema(key("gsi3sk", KeyType::Range))
        .projection(Projection::builder().projection_type(ProjectionType::All).build())
        .build()
        .expect("index definition is complete");
    let pending_events = GlobalSecondaryIndex::builder()
        .index_name("gsi4")
        .key_schema(key("gsi4pk", KeyType::Hash))
        .key_schema(key("gsi4sk", KeyType::Range))
        .projection(Projection::builder().projection_type(ProjectionType::All).build())
        .build()
        .expect("index definition is complete");
    let created = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attribute("pk"))
        .attribute_definitions(attribute("sk"))
        .attribute_definitions(attribute("gsi1pk"))
        .attribute_definitions(attribute("gsi1sk"))
        .attribute_definitions(attribute("gsi2pk"))
        .attribute_definitions(attribute("gsi2sk"))
        .attribute_definitions(attribute("gsi3pk"))
        .attribute_definitions(attribute("gsi3sk"))
        .attribute_definitions(attribute("gsi4pk"))
        .attribute_definitions(attribute("gsi4sk"))
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .global_secondary_indexes(gsi)
        .global_secondary_indexes(by_status)
        .global_secondary_indexes(due_reminders)
        .global_secondary_indexes(pending_events)
        .send()
        .await;
    match created {
        Ok(_) => {}
        Err(err) if err.as_service_error().is_some_and(|e| e.is_resource_in_use_exception()) => return Ok(()),
        Err(err) => return Err(err.into()),
    }
    client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name("ttl")
                .build()
                .expect("ttl spec is complete"),
        )
        .send()
        .await?;
    Ok(())
}
