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
    // Every index is `{name}pk` / `{name}sk`, all attributes projected: gsi1 links by time, gsi2
    // orders by status, gsi3 reminder schedules due (sparse), gsi4 events pending (sparse).
    const INDEXES: [&str; 4] = ["gsi1", "gsi2", "gsi3", "gsi4"];
    let index = |name: &str| {
        GlobalSecondaryIndex::builder()
            .index_name(name)
            .key_schema(key(&format!("{name}pk"), KeyType::Hash))
            .key_schema(key(&format!("{name}sk"), KeyType::Range))
            .projection(Projection::builder().projection_type(ProjectionType::All).build())
            .build()
            .expect("index definition is complete")
    };
    let mut attributes = vec![attribute("pk"), attribute("sk")];
    for name in INDEXES {
        attributes.push(attribute(&format!("{name}pk")));
        attributes.push(attribute(&format!("{name}sk")));
    }
    let created = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_attribute_definitions(Some(attributes))
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .set_global_secondary_indexes(Some(INDEXES.map(index).to_vec()))
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
