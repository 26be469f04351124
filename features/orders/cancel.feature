@orders
Feature: Cancelling an order
  An order in CREATED can be cancelled once. Cancelling it again is a 409 invalid-state-transition
  that names the current and the requested status, and changes nothing.

  Background:
    Given the service is running

  Scenario: Cancelling twice is a conflict
    Given an existing order
    And the order has been cancelled
    When I cancel the order
    Then the response status is 409
    And the problem type is "invalid-state-transition"
    And the response field "current_status" is "CANCELLED"
    And the response field "requested_status" is "CANCELLED"
    And the problem detail mentions "{order_id}"
    When I fetch the order
    Then the response is the order in status "CANCELLED"
    And the number of "order.cancelled" events published for "{order_id}" is 1

  Scenario: A cancel body with an unknown field is rejected
    Given an existing order
    When I send a POST request to "/api/v1/orders/{order_id}/cancel" with the JSON body:
      """
      {"reason": "too slow", "refund": true}
      """
    Then the response status is 422
    And the problem type is "validation-error"
    And the problem names the field "refund" with code "extra_forbidden"
    When I fetch the order
    Then the response is the order in status "CREATED"

  Scenario: Cancelling an unknown order is not found
    When I send a POST request to "/api/v1/orders/ord_00000000000000000000000000/cancel"
    Then the response status is 404
    And the problem type is "not-found"
    And the response field "resource_id" is "ord_00000000000000000000000000"
