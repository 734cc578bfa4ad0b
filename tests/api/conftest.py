import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import ContactFactory, SlaPolicyFactory


def client_with(header: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    return client


@pytest.fixture
def admin_api(admin_user):
    return client_with(f"Token {Token.objects.create(user=admin_user).key}")


@pytest.fixture
def teammate_api(teammate):
    return client_with(f"Token {Token.objects.create(user=teammate).key}")


@pytest.fixture
def anonymous_api():
    return APIClient()


@pytest.fixture
def customer(db):
    return ContactFactory(name="Maya", plan="Pro")


@pytest.fixture
def customer_api(customer):
    return client_with(f"Token {customer.messenger_token}")


@pytest.fixture
def other_customer(db):
    return ContactFactory(name="Noor")


@pytest.fixture
def premium_sla(db):
    return SlaPolicyFactory(name="Premium Support")


# Personas of the safer-writes tests: admin (ada), teammate (ben), other teammate (carl),
# contact (customer, Maya) and other contact (other_customer, Noor).


@pytest.fixture
def other_teammate(outsider):
    return outsider


@pytest.fixture
def other_teammate_api(other_teammate):
    return client_with(f"Token {Token.objects.create(user=other_teammate).key}")


@pytest.fixture
def other_customer_api(other_customer):
    return client_with(f"Contact {other_customer.messenger_token}")
