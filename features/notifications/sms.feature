@notifications @sms
Feature: SMS through SNS, with failover to Twilio
  The router tries SNS first, then Twilio. A number that is not valid E.164 is refused before any
  provider is called; a recipient a provider refuses for good is not tried elsewhere; a provider that
  fails (a fault injected through the simulator's control API) is failed over, and after three failures
  its circuit opens, so it is skipped until its one-second cool-down ends and a probe succeeds.

  Background:
    Given the notifications lab is running
    And a fresh phone number

  @happy_path
  Scenario: SMS goes through SNS normally
    When I send the SMS "Your order has shipped" to the phone number
    Then the response status is 201
    And the response satisfies the contract "api/notifications/notification"
    And the SMS was taken by "sns" after trying "sns"
    And the AWS simulator took an SMS to the phone number of type "Transactional"

  Scenario: SNS is down, so the SMS is delivered by Twilio
    Given SNS is down
    When I send the SMS "Your order has shipped" to the phone number
    Then the response status is 201
    And the SMS was taken by "twilio" after trying "sns, twilio"
    And the Twilio simulator holds a message to the phone number
    When the Twilio simulator's clock moves on 10 seconds
    Then the notification becomes "DELIVERED"

  Scenario: Both providers are down
    Given SNS is down
    And Twilio is down
    When I send the SMS "Your order has shipped" to the phone number
    Then the response status is 503
    And the problem type is "all-sms-providers-failed"
    And the problem detail mentions "All SMS providers are unavailable"
    And the response field "tried" is ["sns", "twilio"]
    And the response header "Retry-After" is "5"

  @validation
  Scenario: An invalid number is rejected up front and no provider is called
    When I send the SMS "hello" to "+1 415 555 0100"
    Then the response status is 422
    And the problem type is "invalid-phone-number"
    And the problem names the field "phone"
    And no provider was called for "+1 415 555 0100"

  Scenario: A number SNS refuses for good does not fail over to Twilio
    Given SNS refuses every number as an invalid parameter
    When I send the SMS "hello" to the phone number
    Then the response status is 422
    And the problem type is "sms-recipient-rejected"
    And the response field "tried" is ["sns"]
    And the response field "code" is "INVALID_NUMBER"
    And the Twilio simulator holds no message to the phone number

  Scenario: An opted-out recipient at Twilio is not retried
    Given SNS is down
    When I send the SMS "hello" to "+15005550004"
    Then the response status is 422
    And the problem type is "sms-recipient-rejected"
    And the response field "code" is "RECIPIENT_OPTED_OUT"
    And the response field "provider_code" is "21610"

  Scenario: The circuit opens, then recovers
    Given SNS is down
    When I send 3 SMS to the phone number
    Then each was taken by "twilio" after trying "sns, twilio"
    And the "sns" circuit is "open"
    When I send the SMS "while open" to the phone number
    Then the SMS was taken by "twilio" after trying "twilio"
    And SNS received 3 publishes for the phone number
    Given SNS is back up
    And the circuit's cool-down has passed
    When I send the SMS "after recovery" to the phone number
    Then the SMS was taken by "sns" after trying "sns"
    And the "sns" circuit is "closed"
