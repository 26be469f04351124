"""librdkafka's mock cluster as a lab process (``genai-demo sim kafka``): the real Kafka wire protocol."""
