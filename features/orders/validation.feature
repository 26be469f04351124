@orders @validation
Feature: Order requests are validated strictly
  The create-order body is strict: unknown fields are rejected, JSON types are not coerced, the
  currency is an ISO 4217 code and an order has at least one item. Each error is a 422
  validation-error problem whose errors[].field names the bad field, and no order is created.

  Background:
    Given the service is running
    And a valid order request

  Scenario: A missing field is named
    Given the request field "customer_ref" is removed
    When I send a POST request to "/api/v1/orders" with the request body
    Then the response status is 422
    And the problem type is "validation-error"
    And the problem names the field "customer_ref" with code "missing"
    And the problem detail mentions "customer_ref"

  Scenario Outline: A bad field is named: <case>
    Given the request field "<field>" is set to <value>
    When I submit the order request
    Then the response status is 422
    And the problem type is "validation-error"
    And the problem names the field "<field>"
    And no order exists for the customer

    Examples:
      | case                       | field                | value    |
      | an unknown field           | coupon               | "FREE10" |
      | an unknown item field      | items[0].discount    | 5        |
      | a quantity as a string     | items[0].quantity    | "2"      |
      | an amount as a float       | items[0].unit_amount | 19.99    |
      | a currency not in ISO 4217 | currency             | "XXY"    |
      | a lower-case currency      | currency             | "usd"    |
      | empty items                | items                | []       |
      | a zero quantity            | items[1].quantity    | 0        |
