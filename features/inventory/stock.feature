@inventory @kafka
Feature: Stock is reserved and released by the Kafka consumer
  The service publishes its order events to Kafka through the outbox; a consumer of the group reserves
  stock on order.created and releases it on order.cancelled, once per event.

  Background:
    Given the service publishes its events to Kafka and a consumer of the group is running
    And the SKU "MUG" has 5 units on hand

  @happy_path
  Scenario: An order reserves stock and a cancel releases it
    When a customer orders 2 "MUG"
    Then 2 "MUG" are reserved for the order
    When the order is cancelled
    Then 0 "MUG" are reserved
    And the order's reservation is "RELEASED"

  Scenario: Out of stock rejects the order
    When a customer orders 6 "MUG"
    Then the order becomes "REJECTED" with reason "out_of_stock"
    And no payment can start for the order
    And 0 "MUG" are reserved

  Scenario: A duplicate event has one effect
    When a customer orders 2 "MUG"
    Then 2 "MUG" are reserved for the order
    When the order's "order.created" message is delivered again
    Then the consumer has handled the duplicate
    And 2 "MUG" are reserved for the order

  @resilience
  Scenario: The broker is down while an order is placed
    Given the Kafka broker is down
    When a customer orders 1 "MUG"
    Then the order's events wait in the outbox
    When the Kafka broker comes back
    Then 1 "MUG" are reserved for the order
    And the outbox is empty
