"""Finding shows in a real browser: the filters, sort and page live in the address, so Back, Forward, a reload and a
shared link show the same listing; Back and Forward redraw it without reloading the page. On a phone the filters
fold behind a "Filters" button, and the first screen shows a show."""

from __future__ import annotations

from selenium.webdriver.common.by import By

from tests.e2e.conftest import SCREENSHOTS, SIZES, Browser, _fit_viewport, _settle, shot
from tests.e2e.helpers import Api, Page

PAGE_SIZE = 12  # the app's default
# Prices that order the run differently from its dates: Drama 01 is the soonest, not the cheapest.
DRAMAS = {f'Drama {n:02d}': 100 + (n * 37) % 500 for n in range(1, 15)}


def _seed(api: Api) -> None:
    api.signup('impresario', role='manager')
    prithvi = api.theatre('impresario', 'Prithvi Theatre', 'Mumbai')
    natak = api.theatre('impresario', 'Natak Ghar', 'Pune')
    api.show('impresario', prithvi['id'], 'Hamlet', tags=['drama'], days_ahead=1)
    api.show('impresario', natak['id'], 'Laugh Riot', tags=['comedy'], days_ahead=2)
    for day, (name, price) in enumerate(DRAMAS.items(), start=3):
        api.show('impresario', natak['id'], name, tags=['drama'], price=price, days_ahead=day)


def _listed(page: Page) -> list[str]:
    """The show names on the page, in order (a name the card repeats counts once)."""
    names = [
        line.strip() for line in page.body_text().splitlines() if line.strip() in {*DRAMAS, 'Hamlet', 'Laugh Riot'}
    ]
    return list(dict.fromkeys(names))


def _wait_listed(page: Page, names: list[str]) -> None:
    page.wait(lambda: _listed(page) == names, f'expected {names}, the page lists {_listed(page)}')


def _select_value(page: Page, label: str) -> str:
    (combobox,) = page.driver.find_elements(By.CSS_SELECTOR, f'[role=combobox][aria-label="{label}"]')
    return str(combobox.get_attribute('value'))


def _same_document(page: Page) -> bool:
    """The page was not loaded again since `_mark_document` (Back/Forward stayed within it)."""
    return bool(page.driver.execute_script('return window.__listingProbe === 1'))


def _mark_document(page: Page) -> None:
    page.driver.execute_script('window.__listingProbe = 1')


def test_filters_sort_and_page_survive_back_forward_reload_and_a_shared_link(browser: Browser, api: Api) -> None:
    _seed(api)
    by_price = sorted(DRAMAS, key=lambda name: (DRAMAS[name], name))
    page = browser()
    page.open('/')
    _wait_listed(page, ['Hamlet', 'Laugh Riot', *list(DRAMAS)[: PAGE_SIZE - 2]])

    page.choose('Place', 'Pune')
    page.wait_path('/?place=Pune')
    page.choose('Tag', 'drama')
    page.wait_path('/?place=Pune&tag=drama')
    page.wait_text('14 shows found · page 1 of 2')
    page.choose('Sort by', 'Lowest price')
    page.wait_path('/?place=Pune&tag=drama&sort=price')
    _wait_listed(page, by_price[:PAGE_SIZE])
    shot(page, 'browse-01-filtered')

    _mark_document(page)
    page.click('2', scope='.q-pagination')
    page.wait_path('/?place=Pune&tag=drama&sort=price&page=2')
    _wait_listed(page, by_price[PAGE_SIZE:])
    page.wait_text('14 shows found · page 2 of 2')

    page.driver.back()  # page 1, with the filters, drawn again without a reload
    page.wait_path('/?place=Pune&tag=drama&sort=price')
    _wait_listed(page, by_price[:PAGE_SIZE])
    page.wait_text('page 1 of 2')
    assert _same_document(page)
    assert (_select_value(page, 'Place'), _select_value(page, 'Tag')) == ('Pune', 'drama')
    assert _select_value(page, 'Sort by') == 'Lowest price'

    page.driver.back()  # before the sort order
    page.wait_path('/?place=Pune&tag=drama')
    _wait_listed(page, list(DRAMAS)[:PAGE_SIZE])
    assert _select_value(page, 'Sort by') == 'Soonest first'
    page.driver.forward()
    page.wait_path('/?place=Pune&tag=drama&sort=price')
    _wait_listed(page, by_price[:PAGE_SIZE])
    assert _same_document(page)

    page.driver.refresh()  # a reload keeps them
    page.ready()
    page.wait_path('/?place=Pune&tag=drama&sort=price')
    _wait_listed(page, by_price[:PAGE_SIZE])
    assert not _same_document(page)
    assert (_select_value(page, 'Place'), _select_value(page, 'Sort by')) == ('Pune', 'Lowest price')

    friend = browser()  # a shared link, opened in a browser of its own
    friend.open('/?place=Pune&tag=drama&sort=price&page=2')
    _wait_listed(friend, by_price[PAGE_SIZE:])
    friend.wait_text('14 shows found · page 2 of 2')
    assert (_select_value(friend, 'Place'), _select_value(friend, 'Tag')) == ('Pune', 'drama')

    friend.click('Clear')  # everything, and the address
    friend.wait_path('/')
    _wait_listed(friend, ['Hamlet', 'Laugh Riot', *list(DRAMAS)[: PAGE_SIZE - 2]])


def test_typing_a_search_makes_one_history_entry(browser: Browser, api: Api) -> None:
    _seed(api)
    page = browser()
    page.open('/?tag=comedy')
    _wait_listed(page, ['Laugh Riot'])
    entries = page.driver.execute_script('return history.length')
    search = page.field('Search shows, places, tags')
    for letter in 'mumbai':  # the place of Prithvi Theatre, typed slowly enough for several searches
        search.send_keys(letter)
        typed = search.get_attribute('value')
        page.wait(lambda typed=typed: f'q={typed}' in page.path, f'the address never took {typed!r}')
    page.wait_path('/?q=mumbai&tag=comedy')
    page.wait_text('No shows match your search')
    assert page.driver.execute_script('return history.length') == entries + 1
    page.driver.back()
    page.wait_path('/?tag=comedy')
    _wait_listed(page, ['Laugh Riot'])
    assert page.field('Search shows, places, tags').get_attribute('value') == ''


def test_unreadable_link_values_fall_back_with_a_note(browser: Browser, api: Api) -> None:
    _seed(api)
    page = browser()
    page.open('/?tag=comedy&page=abc&min_rating=9&from=garbage')
    _wait_listed(page, ['Laugh Riot'])
    page.wait_text('Left out of this link, as it could not be read: minimum rating, From date, page number.')
    page.wait_path('/?tag=comedy')


def test_on_a_phone_the_filters_fold_and_the_first_screen_shows_a_show(browser: Browser, api: Api) -> None:
    _seed(api)
    page = browser()
    _fit_viewport(page.driver, *SIZES['phone'])
    page.open('/')
    _wait_listed(page, ['Hamlet', 'Laugh Riot', *list(DRAMAS)[: PAGE_SIZE - 2]])
    _settle(page.driver)
    width, height = page.driver.execute_script('return [window.innerWidth, window.innerHeight]')
    assert width == 390
    assert page.driver.execute_script('return document.documentElement.scrollWidth') <= width
    assert page.field('Search shows, places, tags').is_displayed()
    place = page.driver.find_element(  # the field a person sees (its combobox is an invisible focus target)
        By.XPATH, '//*[@role="combobox"][@aria-label="Place"]/ancestor::div[contains(@class, "q-field__control")]'
    )
    assert not place.is_displayed()  # folded
    (first,) = [
        e for e in page.driver.find_elements(By.XPATH, '//*[normalize-space(text())="Hamlet"]') if e.is_displayed()
    ]
    assert first.rect['y'] + first.rect['height'] <= height, 'the first show is below the first screen'
    page.driver.save_screenshot(str(SCREENSHOTS / 'browse-02-folded-phone.png'))

    page.click('Filters, 0 set')
    page.wait(lambda: place.is_displayed(), 'the filters never unfolded')
    page.choose('Place', 'Pune')
    page.wait_path('/?place=Pune')
    page.driver.save_screenshot(str(SCREENSHOTS / 'browse-03-filters-sheet-phone.png'))
    page.click('Show results')
    page.wait(lambda: not place.is_displayed(), 'the filters never folded again')
    page.clickable('Filters, 1 set')  # the button counts what is set
    _wait_listed(page, ['Laugh Riot', *list(DRAMAS)[: PAGE_SIZE - 1]])
    assert page.driver.execute_script('return document.documentElement.scrollWidth') <= width

    page.click('Dark mode')  # the sheet in dark mode
    page.wait(lambda: page.driver.execute_script('return document.body.classList.contains("body--dark")'), 'no dark')
    page.click('Filters, 1 set')
    page.wait(lambda: place.is_displayed(), 'the filters never unfolded')
    _settle(page.driver)
    page.driver.save_screenshot(str(SCREENSHOTS / 'browse-04-filters-sheet-phone-dark.png'))
    page.click('Close filters')
    page.wait(lambda: not place.is_displayed(), 'the filters never folded again')

    _fit_viewport(page.driver, *SIZES['desktop'])  # a desktop shows the filters inline, no button
    page.wait(lambda: place.is_displayed(), 'the desktop hides its filters')
    assert not page.clickables('Filters, 1 set')
