# -Status and -Discover run by another account than the task's: WSL distributions and podman machines
# are per user (sim/fakewin.py owned_by_caller; docs/windows-facts.md, row "The fake wsl.exe"), so such
# a caller reads the watcher's record.

BeforeAll {
    . (Join-Path $PSScriptRoot '../sim/SimulatedWindows.ps1')
    . (Join-Path $PSScriptRoot '../TestHelpers.ps1')
    $script:Bundle = New-TestBundle -Inventory @'
servers:
  - name: WEB-01
    run_as: CORP\svc-podman
    wait_for_wsl: 3s
    ports: [80, "8443:443"]
  - name: AUTO-01
    run_as: CORP\svc-podman
    wait_for_wsl: 3s
    ports: [80]
    auto_ports: {from: podman, allow: ["8000-8999"]}
'@
    $script:Update = Join-Path $script:Bundle 'WEB-01/Update-WslPortProxy.ps1'
    $script:AutoUpdate = Join-Path $script:Bundle 'AUTO-01/Update-WslPortProxy.ps1'

    function Initialize-Scene {
        <# The task's account (the tests' own: CORP\svc-podman) ran the update once; ports 80 and 443 answer. #>
        param([string] $Path = $script:Update)
        New-SimulatedWindows | Out-Null
        $podman = Read-SimState 'podman.json'
        $podman.machines['podman-machine-default'] = 'running'
        Write-SimState 'podman.json' $podman
        Set-SimContainer ([ordered]@{ web = @((New-SimPublish -HostPort 80), (New-SimPublish -HostPort 8080)) })
        $global:LASTEXITCODE = 0
        & $Path *> $null
        Write-SimState 'network.json' @{ category = 'DomainAuthenticated'; listening = @(); answering = @(80, 443, 8080); blocked = @() }
    }
}

Describe 'Update-WslPortProxy.ps1 -Status run by an admin who is not the task''s account' {
    BeforeEach { Initialize-Scene }
    AfterEach { Remove-SimulatedWindows }

    It 'checks the rules against the address the task account''s watcher recorded, and says whose view it is' {
        $run = Invoke-SimEntryScript -Path $script:Update -Arguments '-Status' -Account 'CORP\admin'
        $run.Output | Should -Match "WSL as seen by CORP\\svc-podman's watcher \d+ s ago"
        $run.Output | Should -Not -Match 'stale'
        $run.ExitCode | Should -Be 0
        @(Get-SimCall -Program 'wsl' | Where-Object { $_ -match 'eth0' }).Count | Should -Be 1   # only the task account's run
    }

    It '-Json carries whose view it is and how old' {
        $run = Invoke-SimEntryScript -Path $script:Update -Arguments '-Status', '-Json' -Account 'CORP\admin'
        $run.ExitCode | Should -Be 0
        $document = $run.Output | ConvertFrom-Json
        $document.SchemaVersion | Should -Be 1
        $document.WslAddress | Should -BeExactly '172.28.241.140'
        $document.View.Source | Should -BeExactly 'WatcherRecord'
        $document.View.Account | Should -BeExactly 'CORP\svc-podman'
        $document.View.Caller | Should -BeExactly 'CORP\admin'
        $document.View.AgeSeconds | Should -BeGreaterOrEqual 0
        $run.Output | Should -Match '"ObservedUtc":\s*"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"'   # pwsh 7's ConvertFrom-Json makes it a date
    }

    It 'exits 9 saying the watcher has recorded nothing yet, never "stale", when there is no record' {
        Remove-Item -LiteralPath (Join-Path $env:ProgramData 'WslPortProxy/observed.json')
        $run = Invoke-SimEntryScript -Path $script:Update -Arguments '-Status' -Account 'CORP\admin'
        $run.ExitCode | Should -Be 9
        $said = "$($run.Output)$($run.Error)" -replace '[\s|]+', ' '   # pwsh wraps the error in a box
        $said | Should -Match 'the watcher has not recorded anything yet'
        $said | Should -Match 'Run this as CORP\\svc-podman'
        $said | Should -Not -Match 'stale'
    }

    It 'asks WSL itself when run as the task''s account, whatever the case of its name' {
        $run = Invoke-SimEntryScript -Path $script:Update -Arguments '-Status', '-Json' -Account 'corp\SVC-PODMAN'
        $run.ExitCode | Should -Be 0
        ($run.Output | ConvertFrom-Json).View.Source | Should -BeExactly 'Wsl'
    }
}

Describe 'Update-WslPortProxy.ps1 -Discover run by an admin who is not the task''s account' {
    AfterEach { Remove-SimulatedWindows }

    It 'lists what the watcher''s engine reading recorded (auto_ports), and says whose it is' {
        Initialize-Scene -Path $script:AutoUpdate
        $run = Invoke-SimEntryScript -Path $script:AutoUpdate -Arguments '-Discover' -Account 'CORP\admin'
        $run.ExitCode | Should -Be 0
        $run.Output | Should -Match "as seen by CORP\\svc-podman's watcher \d+ s ago"
        $run.Output | Should -Match '- 8080\s+# web'
    }

    It 'exits 13 naming the task account when the watcher recorded no engine reading' {
        Initialize-Scene
        $run = Invoke-SimEntryScript -Path $script:Update -Arguments '-Discover' -Account 'CORP\admin'
        $run.ExitCode | Should -Be 13
        ($run.Error -replace '[\s|]+', ' ') | Should -Match 'Run this as CORP\\svc-podman'
    }
}
