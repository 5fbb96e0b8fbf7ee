from services.sessions import MemorySessionStore, Principal

WHO = Principal(user_id=1, username='asha', name='Asha', role='user')


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_token_is_random_and_resolves_to_its_principal():
    store = MemorySessionStore(idle_seconds=60, max_seconds=600)
    first, second = store.create(WHO), store.create(WHO)
    assert first != second and len(first) >= 40
    assert store.get(first) == WHO
    assert store.get('forged') is None and store.get(None) is None


def test_idle_timeout_slides_with_use():
    clock = Clock()
    store = MemorySessionStore(idle_seconds=60, max_seconds=600, clock=clock)
    token = store.create(WHO)
    clock.now += 50
    assert store.get(token) == WHO
    clock.now += 50  # 100 s after creation, but only 50 s idle
    assert store.get(token) == WHO
    clock.now += 61
    assert store.get(token) is None


def test_absolute_maximum_ends_even_a_busy_session():
    clock = Clock()
    store = MemorySessionStore(idle_seconds=60, max_seconds=150, clock=clock)
    token = store.create(WHO)
    for _ in range(3):
        clock.now += 50
        assert store.get(token) == WHO
    clock.now += 1
    assert store.get(token) is None


def test_revoke_one_and_all_of_a_user():
    store = MemorySessionStore(idle_seconds=60, max_seconds=600)
    one, two = store.create(WHO), store.create(WHO)
    other = store.create(Principal(user_id=2, username='b', name='B', role='user'))
    store.revoke(one)
    assert store.get(one) is None and store.get(two) == WHO
    assert store.revoke_user(1) == 1
    assert store.get(two) is None and store.get(other) is not None
