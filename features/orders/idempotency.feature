@orders @idempotency
Feature: Idempotent order creation
  A client that retries POST /api/v1/orders with the same Idempotency-Key and the same body gets the
  first result again (marked Idempotent-Replayed: true), and only one order exists. The same key with
  a different body is a 422 idempotency-key-reused problem naming the Idempotency-Key header.

  Background:
    Given the service is running
    And a valid order request

  Scenario: The same key and body replay the first order
    When I submit the order request with the Idempotency-Key "checkout-1"
    Then the response status is 201
    And the response has no "Idempotent-Replayed" header
    And I remember the response field "id" as "first_id"
    When I submit the order request with the Idempotency-Key "checkout-1"
    Then the response status is 201
    And the response header "Idempotent-Replayed" is "true"
    And the response satisfies the contract "api/orders/order"
    And the response field "id" is the remembered "first_id"
    And the response header "Location" is "/api/v1/orders/{first_id}"
    When I list the customer's orders
    Then the list holds only the order, in status "CREATED"
    And the number of "order.created" events published for "{first_id}" is 1

  Scenario: The same key with a different body is rejected
    When I submit the order request with the Idempotency-Key "checkout-2"
    Then the response status is 201
    Given the request field "currency" is set to "EUR"
    When I submit the order request with the Idempotency-Key "checkout-2"
    Then the response status is 422
    And the problem type is "idempotency-key-reused"
    And the problem names the field "Idempotency-Key" with code "reused"
    When I fetch the order
    Then the response is the order in status "CREATED"
    And the response field "currency" is "USD"

  Scenario: Without a key, each submission is a new order
    When I submit the order request
    Then the response status is 201
    And I remember the response field "id" as "first_id"
    When I submit the order request
    Then the response status is 201
    And the response has no "Idempotent-Replayed" header
    And the response field "id" is not the remembered "first_id"
