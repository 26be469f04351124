@security
Feature: A customer sees only their own orders
  A customer's token subject is their customer_ref. Another customer's order answers 404, exactly as an
  order that does not exist, so ids cannot be probed for existence (OWASP API1, BOLA).

  Background:
    Given the service is running

  Scenario: Another customer's order is not found
    Given the customer "cus_bdd_grace_{nonce}" has an order
    And I am signed in as the customer "cus_bdd_ada_{nonce}"
    When I send a GET request to "/api/v1/orders/{order_id}"
    Then the response status is 404
    And the problem type is "not-found"
    When I send a POST request to "/api/v1/orders/{order_id}/cancel"
    Then the response status is 404
    When I send a GET request to "/api/v1/orders?customer_ref=cus_bdd_grace_{nonce}"
    Then the response status is 200
    And the response field "data" is []

  Scenario: The owner sees and cancels their order
    Given the customer "cus_bdd_ada_{nonce}" has an order
    And I am signed in as the customer "cus_bdd_ada_{nonce}"
    When I send a GET request to "/api/v1/orders/{order_id}"
    Then the response status is 200
    When I send a POST request to "/api/v1/orders/{order_id}/cancel"
    Then the response status is 200
    And the response field "status" is "CANCELLED"
