# Unit tests: podman.exe, the PATH it runs with, its machine (Private/Podman.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Unit.ps1')
}

Describe 'Find-PodmanProgram' {
    AfterEach { Remove-SimulatedWindows }

    It 'finds the <Scope> install (<Folder>)' -ForEach @(
        @{ Scope = 'RedHat'; Folder = 'Program Files/RedHat/Podman' }
        @{ Scope = 'Machine'; Folder = 'Program Files/Podman' }
        @{ Scope = 'User'; Folder = 'Users/svc-podman/AppData/Local/Programs/Podman' }
    ) {
        $sim = New-SimulatedWindows -PodmanScope $Scope
        $expected = Join-Path (Join-Path $sim.Root $Folder) 'podman.exe'
        InModuleScope WslPortProxy { Find-PodmanProgram } | Should -Be $expected
    }

    It 'prefers a machine-wide install to the account''s per-user one' {
        $sim = New-SimulatedWindows -PodmanScope User
        $machine = Join-Path (Join-Path $sim.ProgramFiles 'Podman') 'podman.exe'
        Install-SimProgram -Program podman -Path $machine -Fake (Join-Path $PSScriptRoot '../sim/fakewin.py')
        InModuleScope WslPortProxy { Find-PodmanProgram } | Should -Be $machine
    }

    It 'takes no per-user install from a LOCALAPPDATA outside the account''s profile' {
        New-SimulatedWindows -PodmanScope User | Out-Null
        $env:USERPROFILE = Join-Path $global:WslppSim.Root 'Users/someone-else'
        InModuleScope WslPortProxy {
            Get-UserPodmanPath | Should -BeNullOrEmpty
            Find-PodmanProgram | Should -BeNullOrEmpty
        }
    }
}

Describe 'Get-PodmanMachineState' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'reads .State from <Case>' -ForEach @(
        @{ Case = 'the inspect JSON'; ExitCode = 0; Output = @('[{"Name":"m","State":"Running"}]'); State = 'running' }
        @{ Case = 'a failed inspect'; ExitCode = 125; Output = @('Error: m: VM does not exist'); State = 'unknown (podman machine inspect exit 125: Error: m: VM does not exist)' }
        @{ Case = 'unreadable output'; ExitCode = 0; Output = @('{oops'); State = 'unknown (unreadable output of podman machine inspect: *' }
        @{ Case = 'an empty list'; ExitCode = 0; Output = @('[]'); State = 'unknown (podman machine inspect listed no machine)' }
    ) {
        InModuleScope WslPortProxy -Parameters @{ ExitCode = $ExitCode; Output = $Output; State = $State } {
            param($ExitCode, $Output, $State)
            Mock Invoke-NativeCommand { [pscustomobject]@{ ExitCode = $ExitCode; Output = $Output } }
            Get-PodmanMachineState -Podman 'podman.exe' -Distro 'm' | Should -BeLike $State
            Should -Invoke Invoke-NativeCommand -Times 1 -Exactly -ParameterFilter { "$ArgumentList" -eq 'machine inspect m' }
        }
    }
}

Describe 'Start-PodmanMachine' {
    BeforeEach {
        New-SimulatedWindows | Out-Null
        $script:Directory = Join-Path $global:WslppSim.ProgramData 'WslPortProxy'
    }
    AfterEach { Remove-SimulatedWindows }

    It 'starts a stopped machine, confirms it runs, and leaves a running one alone' {
        InModuleScope WslPortProxy -Parameters @{ Directory = $script:Directory } {
            param($Directory)
            $log = Open-RunLog -Directory $TestDrive -NoFile
            Start-PodmanMachine -Distro 'podman-machine-default' -Directory $Directory -Log $log
            Start-PodmanMachine -Distro 'podman-machine-default' -Directory $Directory -Log $log
        }
        (Read-SimState 'podman.json').machines['podman-machine-default'] | Should -Be 'running'
        @(Get-SimCall -Program 'podman' | Where-Object { $_ -notlike 'podman started*' }) | Should -Be @('podman machine inspect podman-machine-default', 'podman machine start podman-machine-default', 'podman machine inspect podman-machine-default', 'podman machine inspect podman-machine-default')
    }

    It 'Given Podman <Version> before logon and PATH as Windows has it (System32 first, WSL last), starts the machine with the WSL package''s wsl.exe' -ForEach @(
        @{ Version = '5.5.2' }   # FindWSL: the LOCALAPPDATA link
        @{ Version = '5.6.0' }   # "wsl" from PATH
        @{ Version = '5.8.2' }
    ) {
        Set-SimSession0
        Set-SimWindowsPath
        Write-SimState 'podman.json' @{ version = $Version; machines = @{ 'podman-machine-default' = 'stopped' } }
        InModuleScope WslPortProxy -Parameters @{ Directory = $script:Directory } {
            param($Directory)
            Start-PodmanMachine -Distro 'podman-machine-default' -Directory $Directory -Log (Open-RunLog -Directory $TestDrive -NoFile)
        }
        $package = Join-Path (Join-Path $global:WslppSim.ProgramFiles 'WSL') 'wsl.exe'
        $used = @(Get-SimCall -Program 'podman' | Where-Object { $_ -like 'podman started*' })
        $used | Should -HaveCount 1
        $item = Get-Item -LiteralPath ($used[0] -replace '^podman started podman-machine-default with ', '')
        if ($item.LinkType) { $item.Target | Should -Be $package } else { $item.FullName | Should -Be $package }
        (Read-SimState 'podman.json').machines['podman-machine-default'] | Should -Be 'running'
    }

    It 'Given -WhatIf, only asks, and makes no link' {
        InModuleScope WslPortProxy -Parameters @{ Directory = $script:Directory } {
            param($Directory)
            Start-PodmanMachine -Distro 'podman-machine-default' -Directory $Directory -Log (Open-RunLog -Directory $TestDrive -NoFile) -WhatIf
        }
        @(Get-SimCall -Program 'podman') | Should -Be @('podman machine inspect podman-machine-default')
        Test-Path -LiteralPath (Join-Path $script:Directory 'podman-wsl') | Should -BeFalse
    }

    It 'treats "already running" (exit 125) as fine, and fails with exit code 12 on any other failure' {
        InModuleScope WslPortProxy {
            $log = Open-RunLog -Directory $TestDrive -NoFile
            Mock Get-PodmanWslFolder { $null }
            $script:states = [System.Collections.Generic.Queue[string]]::new([string[]] @('starting', 'running'))
            Mock Get-PodmanMachineState { $script:states.Dequeue() }
            Mock Invoke-NativeCommand { [pscustomobject]@{ ExitCode = 125; Output = @('Error: machine m: VM already running or starting') } }
            Start-PodmanMachine -Distro 'm' -Directory 'unused' -Log $log
            Should -Invoke Get-PodmanMachineState -Times 2 -Exactly
            Mock Get-PodmanMachineState { 'stopped' }
            Mock Invoke-NativeCommand { [pscustomobject]@{ ExitCode = 125; Output = @('Error: no space left') } }
            $failure = { Start-PodmanMachine -Distro 'm' -Directory 'unused' -Log $log } | Should -Throw -ErrorId 'WslPortProxy.PodmanStartFailed' -PassThru
            $failure.Exception.Message | Should -BeExactly 'podman machine start m failed (exit 125): Error: no space left'
            Get-FailureExitCode -ErrorRecord $failure | Should -Be 12
        }
    }

    It 'Given no podman.exe for the account, warns and goes on' {
        Remove-Item -LiteralPath (Join-Path $global:WslppSim.ProgramFiles 'RedHat') -Recurse
        InModuleScope WslPortProxy {
            Start-PodmanMachine -Distro 'm' -Directory 'unused' -Log (Open-RunLog -Directory $TestDrive -NoFile) -WarningVariable warnings -WarningAction SilentlyContinue
            "$($warnings[0])" | Should -Be "podman.exe was not found for $env:USERDOMAIN\$env:USERNAME; not starting podman machine m."
        }
    }
}

Describe 'Get-PodmanWslFolder and Invoke-Podman' {
    BeforeEach {
        New-SimulatedWindows | Out-Null
        $script:Directory = Join-Path $global:WslppSim.ProgramData 'WslPortProxy'
    }
    AfterEach { Remove-SimulatedWindows }

    It 'links Microsoft\WindowsApps\wsl.exe to the WSL package''s wsl.exe once, and mends a wrong link' {
        $package = Join-Path (Join-Path $global:WslppSim.ProgramFiles 'WSL') 'wsl.exe'
        InModuleScope WslPortProxy -Parameters @{ Directory = $script:Directory; Package = $package } {
            param($Directory, $Package)
            $log = Open-RunLog -Directory $TestDrive -NoFile
            $root = Get-PodmanWslFolder -Directory $Directory -Log $log
            $root | Should -Be (Join-Path $Directory 'podman-wsl')
            $link = Join-Path $root 'Microsoft/WindowsApps/wsl.exe'
            (Get-Item -LiteralPath $link).Target | Should -Be $Package
            Mock New-Item { }
            Get-PodmanWslFolder -Directory $Directory -Log $log | Should -Be $root
            Should -Invoke New-Item -Times 0 -Exactly   # already right
        }
    }

    It 'Given no WSL package, returns nothing and warns in the log' {
        Remove-Item -LiteralPath (Join-Path $global:WslppSim.ProgramFiles 'WSL') -Recurse
        InModuleScope WslPortProxy -Parameters @{ Directory = $script:Directory } {
            param($Directory)
            $log = Open-RunLog -Directory $TestDrive
            Get-PodmanWslFolder -Directory $Directory -Log $log | Should -BeNullOrEmpty
            Get-Content -Raw -LiteralPath (Join-Path $TestDrive 'Update-WslPortProxy.log') | Should -Match 'is missing: podman picks its own wsl\.exe\.'
        }
    }

    It 'gives podman a PATH of the WSL package''s folder first, then System32, the Windows folder, Wbem and podman''s own folder' {
        InModuleScope WslPortProxy {
            $system32 = Join-Path $env:SystemRoot 'System32'
            $podman = Join-Path (Join-Path (Join-Path $env:ProgramFiles 'RedHat') 'Podman') 'podman.exe'
            $expected = @((Join-Path $env:ProgramFiles 'WSL'), $system32, $env:SystemRoot, (Join-Path $system32 'Wbem'), (Split-Path $podman)) -join [System.IO.Path]::PathSeparator
            Get-PodmanSearchPath -Podman $podman | Should -BeExactly $expected
            $saved = $env:PATH
            Mock Invoke-NativeCommand { [pscustomobject]@{ ExitCode = 0; Output = @($env:PATH) } }
            (Invoke-Podman -Podman $podman -ArgumentList @('ps')).Output | Should -BeExactly $expected
            $env:PATH | Should -BeExactly $saved
            Mock Invoke-NativeCommand { throw 'boom' }
            { Invoke-Podman -Podman $podman -ArgumentList @('ps') } | Should -Throw 'boom'
            $env:PATH | Should -BeExactly $saved
        }
    }

    It 'sets LOCALAPPDATA only for the podman call and restores it, also when the call fails' {
        InModuleScope WslPortProxy {
            $env:LOCALAPPDATA = 'C:\Users\svc\AppData\Local'
            Mock Invoke-NativeCommand { [pscustomobject]@{ ExitCode = 0; Output = @($env:LOCALAPPDATA) } }
            (Invoke-Podman -Podman 'podman.exe' -ArgumentList @('version') -LocalAppData 'C:\ProgramData\WslPortProxy\podman-wsl').Output | Should -Be 'C:\ProgramData\WslPortProxy\podman-wsl'
            $env:LOCALAPPDATA | Should -Be 'C:\Users\svc\AppData\Local'
            Mock Invoke-NativeCommand { throw 'boom' }
            { Invoke-Podman -Podman 'podman.exe' -ArgumentList @('version') -LocalAppData 'X' } | Should -Throw 'boom'
            $env:LOCALAPPDATA | Should -Be 'C:\Users\svc\AppData\Local'
            $env:LOCALAPPDATA = $null
        }
    }
}
