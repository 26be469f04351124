@orders @validation
Feature: Protocol errors are clear problem documents, never a 500
  An unknown route, a wrong method, a body that is not JSON, an oversized body and a body of another
  media type each get a specific 4xx application/problem+json answer with a stable type.

  Background:
    Given the service is running

  Scenario: An unknown route is not found
    When I send a GET request to "/api/v1/orders/{nonce}/refund"
    Then the response status is 404
    And the problem type is "not-found"
    And the response content type is "application/problem+json"
    And the problem detail mentions "/api/v1/orders/{nonce}/refund"

  Scenario: A wrong method is not allowed and the allowed ones are listed
    When I send a DELETE request to "/api/v1/orders"
    Then the response status is 405
    And the problem type is "method-not-allowed"
    And the response header "Allow" lists "GET"
    And the response header "Allow" lists "POST"

  Scenario: Malformed JSON is a bad request naming the body
    When I send a POST request to "/api/v1/orders" with the raw body '{"customer_ref": "cus_1",' as "application/json"
    Then the response status is 400
    And the problem type is "malformed-request"
    And the problem names the field "body" with code "json_invalid"

  Scenario: A body over the size limit is too large
    # MAX_REQUEST_BYTES defaults to 1 MiB (1048576 bytes)
    When I send a POST request to "/api/v1/orders" with a JSON body of 1048577 bytes
    Then the response status is 413
    And the problem type is "payload-too-large"

  Scenario: A form-encoded body is an unsupported media type
    When I send a POST request to "/api/v1/orders" with the raw body 'customer_ref=cus_1' as "application/x-www-form-urlencoded"
    Then the response status is 415
    And the problem type is "unsupported-media-type"
    And the problem detail mentions "application/json"
