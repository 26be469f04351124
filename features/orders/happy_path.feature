@orders @happy_path
Feature: An order's life through the public API
  A client creates an order, reads it back, finds it in the customer's list and cancels it.
  Every response satisfies its contract (contracts/schemas/api/orders/), money is integer minor
  units, and each change publishes its domain events (order-events topic).

  Background:
    Given the service is running

  Scenario: Create, get, list and cancel an order
    Given an order request in "EUR" with the items:
      | sku      | name            | quantity | unit_amount |
      | TSHIRT-M | T-shirt, medium | 2        | 1999        |
      | MUG      | Mug             | 1        | 850         |
    When I submit the order request
    Then the response status is 201
    And the response is the order in status "CREATED"
    And the order total is 4848 EUR
    And the response header "Location" is "/api/v1/orders/{order_id}"
    And the response field "cancellation_reason" is null

    When I fetch the order
    Then the response status is 200
    And the response is the order in status "CREATED"

    When I list the customer's orders
    Then the response status is 200
    And the list holds only the order, in status "CREATED"

    When I cancel the order because "changed my mind"
    Then the response status is 200
    And the response is the order in status "CANCELLED"
    And the response field "cancellation_reason" is "changed my mind"

    When I list the customer's orders
    Then the list holds only the order, in status "CANCELLED"
    And the events published for "{order_id}" are "order.created, order.status_changed, order.cancelled"

  Scenario: Every response carries the caller's request id
    Given the request header "X-Request-Id" is "bdd-{nonce}"
    And a valid order request
    When I submit the order request
    Then the response status is 201
    And the response header "X-Request-Id" is "bdd-{nonce}"
