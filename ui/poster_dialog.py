"""A show's poster, from its row on the dashboard: the current one (or the generated placeholder), an upload that
replaces it, and Remove. Errors stay in the dialog, beside the upload."""

from __future__ import annotations

from nicegui import ui
from nicegui.events import UploadEventArguments

from services import posters, shows
from services.errors import DomainError
from services.sessions import Principal
from services.shows import ShowView
from ui.common import call, notify_error
from ui.components import WRAP_ANYWHERE, poster_image, poster_placeholder

ACCEPT = ','.join(f'image/{kind}' for kind in ('jpeg', 'png', 'webp', 'gif'))
HINT = (
    f'JPEG, PNG, WebP or GIF, at least {posters.MIN_SIDE} pixels on each side, up to {posters.MAX_BYTES // 2**20} MiB. '
    'It is cut to a 2:3 portrait from its middle.'
)
REJECTED = f'Choose one image file (JPEG, PNG, WebP or GIF) of at most {posters.MAX_BYTES // 2**20} MiB.'


async def poster_dialog(show: ShowView, who: Principal) -> None:
    try:  # as it is now: the dashboard's copy may predate a change made in this dialog before
        current: dict[str, ShowView] = {'show': await call(shows.public_show, show_id=show.id, read=True)}
    except DomainError as error:
        notify_error(error)
        return

    with ui.dialog() as dialog, ui.card().classes('w-full max-w-lg p-6 gap-3').mark('poster-dialog'):
        ui.label(f'Poster of {show.name}').classes('text-xl font-bold min-w-0').style(WRAP_ANYWHERE)

        @ui.refreshable
        def preview() -> None:
            now = current['show']
            with ui.element('div').classes('relative w-40 aspect-[2/3] overflow-hidden rounded-lg shadow self-center'):
                if now.poster_key is None:
                    poster_placeholder(now.name, text='text-xl')
                else:
                    poster_image(now, sizes='160px', classes='absolute inset-0 w-full h-full object-cover')
            if now.poster_key is None:
                ui.label('No poster yet: cards and the show page show this generated one.').classes(
                    'text-sm text-gray-600 self-center text-center'
                )
            remove_button.set_visibility(now.poster_key is not None)

        preview_box = ui.column().classes('w-full items-stretch gap-2')
        ui.label(HINT).classes('text-sm text-gray-600')
        with ui.row().classes('items-center gap-2').mark('poster-busy') as busy:
            ui.spinner(size='sm')
            ui.label('Processing the image…').classes('text-sm')
        busy.set_visibility(False)
        error = ui.label().classes('text-sm text-negative font-medium').mark('poster-error')
        error.set_visibility(False)

        def say(message: str | None) -> None:
            error.text = message or ''
            error.set_visibility(bool(message))

        async def uploaded(event: UploadEventArguments) -> None:
            say(None)
            if event.file.size() > posters.MAX_BYTES:  # the browser's own check can be bypassed: never read it
                say(REJECTED)
                upload.reset()
                return
            busy.set_visibility(True)
            upload.disable()
            try:
                data = await event.file.read()
                current['show'] = await call(posters.set_poster, actor_id=who.user_id, show_id=show.id, image=data)
            except DomainError as failure:
                say(failure.message)
                return
            finally:
                busy.set_visibility(False)
                upload.enable()
                upload.reset()
            preview.refresh()
            ui.notify('Poster saved.', type='positive')

        upload = (
            ui.upload(
                label='Upload a poster',
                auto_upload=True,
                max_file_size=posters.MAX_BYTES,
                max_files=1,
                on_upload=uploaded,
                on_rejected=lambda: say(REJECTED),
            )
            .props(f'accept="{ACCEPT}" flat bordered')
            .classes('w-full')
            .mark('poster-upload')
        )

        async def remove() -> None:
            say(None)
            remove_button.props('loading')
            try:
                current['show'] = await call(posters.remove_poster, actor_id=who.user_id, show_id=show.id)
            except DomainError as failure:
                say(failure.message)
                return
            finally:
                remove_button.props(remove='loading')
            preview.refresh()
            ui.notify('Poster removed: the placeholder shows again.', type='positive')

        with ui.row().classes('w-full justify-between mt-2'):
            remove_button = (
                ui.button('Remove poster', icon='delete', on_click=remove)
                .props('flat no-caps color=negative')
                .mark('poster-remove')
            )
            ui.button('Close', on_click=dialog.close).props('unelevated no-caps').mark('poster-close')
        with preview_box:
            preview()
    dialog.open()
    await dialog
    dialog.delete()
